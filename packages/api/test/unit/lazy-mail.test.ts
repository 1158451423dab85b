// The mail libraries (imapflow, nodemailer, mailparser: about a fifth of a
// process's start-up CPU) load only in a process that handles mail: a
// mailbox reader loads its two when it is built, at start (so a library
// that cannot be loaded stops the start, as an import would), a sender
// loads nodemailer. Checked on the build in a node process of its own:
// jest's module registry is not Node's, so require.cache is read there.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serverBuilt } from '../support/processes';

const DIST = join(__dirname, '../../dist');
const MAIL = ['imapflow', 'nodemailer', 'mailparser'];

/**
 * Which of MAIL a node process holds any file of (its own folder, as dist
 * resolves it) after `script`; `compose` says whether dist/compose.js was
 * loaded, so a probe that loaded nothing cannot pass.
 */
function loadedAfter(script: string): { mail: string[]; compose: boolean } {
  const probe = `
    const path = require('node:path');
    const d = ${JSON.stringify(DIST)};
    ${script}
    const held = Object.keys(require.cache);
    const mail = ${JSON.stringify(MAIL)}.filter((m) => {
      const dir = path.dirname(require.resolve(m + '/package.json', { paths: [d] })) + path.sep;
      return held.some((f) => f.startsWith(dir));
    });
    console.log(JSON.stringify({ mail, compose: held.includes(path.join(d, 'compose.js')) }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 30_000 }));
}

/** Every module cli/serve.js imports of its own (read from the build, so a new import is covered too). */
const SERVE_IMPORTS = `
  const serve = require('node:fs').readFileSync(d + '/cli/serve.js', 'utf8');
  for (const [, rel] of serve.matchAll(/require\\(["'](\\.\\.?\\/[^"']+)["']\\)/g)) require(path.join(d, 'cli', rel));`;

if (!serverBuilt) console.warn('skipped: the lazy-loading check reads the build (npm test builds first)');

(serverBuilt ? describe : describe.skip)('mail libraries load only where mail is handled', () => {
  it('everything the server imports holds none of them', () => {
    expect(loadedAfter(SERVE_IMPORTS)).toEqual({ mail: [], compose: true });
  });

  it('a mailbox reader loads imapflow and mailparser when built (the check sees a loaded library)', () => {
    expect(
      loadedAfter(
        `${SERVE_IMPORTS}
        const { MailIn } = require(d + '/conversation/mail-in');
        new MailIn({ imapUrl: 'imap://u:p@127.0.0.1:1', leaseMs: 60000 }, 'INBOX', {});`,
      ).mail,
    ).toEqual(['imapflow', 'mailparser']);
  });
});
