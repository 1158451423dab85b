// The mail libraries (imapflow, nodemailer, mailparser: about a fifth of a
// process's start-up CPU) load only when a process first reads or sends
// mail. Checked on the build in a node process of its own: jest's module
// registry is not Node's, so require.cache is read there.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serverBuilt } from '../support/processes';

const DIST = join(__dirname, '../../dist');
const MAIL = ['imapflow', 'nodemailer', 'mailparser'];

/** Which of MAIL a node process holds after running `script` (dist's modules under `d`). */
function mailLoadedAfter(script: string): string[] {
  const probe = `
    const d = ${JSON.stringify(DIST)};
    ${script}
    const held = Object.keys(require.cache);
    const mail = ${JSON.stringify(MAIL)};
    console.log(JSON.stringify(mail.filter((m) => held.some((f) => f.includes('/node_modules/' + m + '/')))));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
}

(serverBuilt ? describe : describe.skip)('mail libraries load on first use', () => {
  it('the server composed and its app built hold none of them', () => {
    expect(mailLoadedAfter(`require(d + '/capabilities'); require(d + '/compose'); require(d + '/http/app');`)).toEqual(
      [],
    );
  });

  it('reading mail loads imapflow (the check can see a loaded library)', () => {
    expect(
      mailLoadedAfter(
        `require(d + '/compose'); require(d + '/conversation/imap-client').imapClient('imap://u:p@127.0.0.1:1');`,
      ),
    ).toEqual(['imapflow']);
  });
});
