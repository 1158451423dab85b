// The schema-change check: a breaking or dangerous change passes only when
// CHANGELOG.md lists it above the last released version; a field leaves
// only after a dated deprecation; a deprecation says when.
import { lastVersion, pendingPaths, schemaChangeProblems } from '../../src/schema-changes/schema-changes';

const RELEASED = `
type Query {
  ticket: Ticket
}
type Ticket {
  id: ID!
  subject: String!
  legacyRef: String @deprecated(reason: "Use id; removal after 2026-01-31")
  notes: String
}
enum Kind { A B }
type Mutation { touch(kind: Kind): Boolean }
`;

const changelog = (unreleased: string) =>
  `# Changelog\n\n## Unreleased\n\n${unreleased}\n\n## 1.0.0 (2026-01-01)\n\n- \`Ticket.notes\` (listed in a released version: does not count)\n`;
const paths = async (current: string, unreleased = '', today = '2026-12-06') =>
  (await schemaChangeProblems(RELEASED, current, changelog(unreleased), '1.0.0', today)).map((p) => p.path);

describe('schema change check', () => {
  it('passes an unchanged schema and plain additions', async () => {
    expect(await paths(RELEASED)).toEqual([]);
    expect(await paths(RELEASED.replace('notes: String', 'notes: String\n  extra: Int'))).toEqual([]);
  });

  it('fails on a removed field until the changelog lists it', async () => {
    const removed = RELEASED.replace(/ {2}legacyRef.*\n/, '');
    expect(await paths(removed)).toEqual(['Ticket.legacyRef']);
    expect(await paths(removed, '### Removed\n- `Ticket.legacyRef`: use `Ticket.id`.')).toEqual([]);
    // Listing the whole type covers its fields.
    expect(await paths(removed, '### Removed\n- `Ticket`: see above.')).toEqual([]);
  });

  it('wants a removal to follow a dated deprecation whose date has passed', async () => {
    const notDeprecated = RELEASED.replace(/ {2}notes: String\n/, '');
    const listed = '### Removed\n- `Ticket.notes`';
    const problems = await schemaChangeProblems(RELEASED, notDeprecated, changelog(listed), '1.0.0', '2026-12-06');
    expect(problems.map((p) => p.path)).toEqual(['Ticket.notes']);
    expect(problems[0].message).toMatch(/without being deprecated first/);
    const early = RELEASED.replace(/ {2}legacyRef.*\n/, '');
    expect(await paths(early, '### Removed\n- `Ticket.legacyRef`', '2026-01-15')).toEqual(['Ticket.legacyRef']);
  });

  it('fails on dangerous changes (an enum value added, a default changed) until listed', async () => {
    const added = RELEASED.replace('enum Kind { A B }', 'enum Kind { A B C }');
    expect(await paths(added)).toEqual(['Kind.C']);
    expect(await paths(added, '### Added\n- `Kind.C`')).toEqual([]);
    const typeChanged = RELEASED.replace('subject: String!', 'subject: String');
    expect(await paths(typeChanged)).toEqual(['Ticket.subject']);
  });

  it('wants every new deprecation to say when the removal may come', async () => {
    const undated = RELEASED.replace('notes: String', 'notes: String @deprecated(reason: "Use subject")');
    expect(await paths(undated)).toEqual(['Ticket.notes']);
    const dated = RELEASED.replace(
      'notes: String',
      'notes: String @deprecated(reason: "Use subject; removal after 2027-06-30")',
    );
    expect(await paths(dated)).toEqual([]);
  });

  it('reads only the sections above the last released version', () => {
    expect([...pendingPaths(changelog('- `Ticket.extra`'), '1.0.0')]).toEqual(['Ticket.extra']);
    expect(lastVersion(['1.0.0.graphql', '1.10.0.graphql', '1.9.2.graphql', 'README.md'])).toBe('1.10.0');
  });
});
