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

/** Which of MAIL (each package's own entry file, as dist resolves it) a node process holds after `script`. */
function mailLoadedAfter(script: string): string[] {
  const probe = `
    const d = ${JSON.stringify(DIST)};
    ${script}
    const held = new Set(Object.keys(require.cache));
    const mail = ${JSON.stringify(MAIL)};
    console.log(JSON.stringify(mail.filter((m) => held.has(require.resolve(m, { paths: [d] })))));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 30_000 }));
}

/** Every module cli/serve.js imports of its own (read from the build, so a new import is covered too). */
const SERVE_IMPORTS = `
  const serve = require('node:fs').readFileSync(d + '/cli/serve.js', 'utf8');
  for (const [, rel] of serve.matchAll(/require\\("(\\.\\.?\\/[^"]+)"\\)/g)) require(require('node:path').join(d, 'cli', rel));`;

if (!serverBuilt) console.warn('skipped: the lazy-loading check reads the build (npm test builds first)');

(serverBuilt ? describe : describe.skip)('mail libraries load only where mail is handled', () => {
  it('everything the server imports holds none of them', () => {
    expect(mailLoadedAfter(SERVE_IMPORTS)).toEqual([]);
  });

  it('a mailbox reader loads imapflow and mailparser when built (the check sees a loaded library)', () => {
    expect(
      mailLoadedAfter(
        `${SERVE_IMPORTS}
        const { MailIn } = require(d + '/conversation/mail-in');
        new MailIn({ imapUrl: 'imap://u:p@127.0.0.1:1', leaseMs: 60000 }, 'INBOX', {});`,
      ),
    ).toEqual(['imapflow', 'mailparser']);
  });
});
