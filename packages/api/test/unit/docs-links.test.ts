// Every relative link in README.md and docs/*.md leads somewhere: the file
// exists and, for a link with #anchor, so does a heading with that anchor
// (GitHub's rule: lower case, punctuation dropped, spaces to hyphens,
// repeats numbered). Links out of the repository (http:, mailto:) are not followed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

// Guides other engineers are writing on their own branches right now, linked
// from the README already. A missing one is tolerated until they are merged;
// the integrator removes this list then.
const IN_FLIGHT = new Set([
  'docs/email.md',
  'docs/search.md',
  'docs/sla.md',
  'docs/integrators.md',
  'docs/attachments.md',
  'docs/customers-data.md',
]);

/** A heading's anchor, as GitHub makes it from the rendered text. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Lines outside fenced code blocks, with inline code removed (a link inside backticks is text). */
function prose(markdown: string): string[] {
  let fenced = false;
  const out: string[] = [];
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) out.push(line.replace(/`[^`]*`/g, ''));
  }
  return out;
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  for (const line of prose(readFileSync(file, 'utf8')))
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

export function linksOf(markdown: string): string[] {
  const links: string[] = [];
  for (const line of prose(markdown))
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(m[1]);
  return links;
}

const documents = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** What is wrong with each relative link of this document. */
function brokenLinks(doc: string): string[] {
  const problems: string[] = [];
  const dir = path.dirname(path.join(ROOT, doc));
  for (const link of linksOf(readFileSync(path.join(ROOT, doc), 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
    const [target, anchor] = link.split('#', 2);
    const file = target ? path.resolve(dir, decodeURI(target)) : path.join(ROOT, doc);
    const relative = path.relative(ROOT, file);
    if (!existsSync(file)) {
      if (!IN_FLIGHT.has(relative)) problems.push(`${doc}: ${link} (no ${relative})`);
      continue;
    }
    if (anchor !== undefined && statSync(file).isFile() && file.endsWith('.md') && !anchorsOf(file).has(anchor))
      problems.push(`${doc}: ${link} (no heading #${anchor} in ${relative})`);
  }
  return problems;
}

describe('links in README.md and docs/', () => {
  it('finds the documents and their links', () => {
    expect(documents.length).toBeGreaterThan(10);
    expect(linksOf(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).length).toBeGreaterThan(15);
  });

  it.each(documents)('%s: every relative link resolves, anchors included', (doc) => {
    expect(brokenLinks(doc)).toEqual([]);
  });

  it('the README is a front page: at most 250 lines, every guide under docs/ reachable from it', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    const linked = new Set(linksOf(readme).map((l) => l.split('#')[0]));
    const unreachable = documents.filter((d) => d.startsWith('docs/') && !linked.has(d));
    expect(unreachable).toEqual([]);
  });

  it("knows GitHub's anchors, and would catch a broken one", () => {
    expect(slug("Customers' data")).toBe('customers-data');
    expect(slug('For integrators: tokens, listing and the change feed')).toBe(
      'for-integrators-tokens-listing-and-the-change-feed',
    );
    expect(slug('`MONGODB_URI` and [engines](x.md)')).toBe('mongodb_uri-and-engines');
    expect(linksOf('see [a](docs/a.md#b) and `[not](a link)`\n```\n[nor](this)\n```')).toEqual(['docs/a.md#b']);
  });
});
