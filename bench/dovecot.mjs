// A throw-away Dovecot for the email-in bench (the same setup as the tests'
// packages/api/test/support/dovecot.ts): 127.0.0.1, a free port, one user,
// plain login, its config and mail under a temp dir. Needs root and
// Debian's dovecot-imapd.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DOVECOT = ['/usr/sbin/dovecot', '/usr/bin/dovecot'].find((p) => existsSync(p));

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

export async function startDovecot() {
  if (!DOVECOT) throw new Error('dovecot is not installed (apt-get install dovecot-imapd)');
  if (process.getuid?.() !== 0) throw new Error('dovecot needs root here (its workers switch users)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-dovecot-'));
  chmodSync(dir, 0o755);
  const home = join(dir, 'mail');
  mkdirSync(home);
  execFileSync('chown', ['nobody:nogroup', home]);
  const port = await freePort();
  writeFileSync(join(dir, 'passwd'), 'support:{PLAIN}bench-password::::::\n');
  chmodSync(join(dir, 'passwd'), 0o644);
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:${home}/Maildir
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${home}
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`,
  );
  const child = spawn(DOVECOT, ['-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  const pidFile = join(dir, 'run', 'master.pid');
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(pidFile)) throw new Error(`dovecot did not start: ${readFileSync(join(dir, 'dovecot.log'), 'utf8')}`);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    port,
    user: 'support',
    pass: 'bench-password',
    url: `imap://support:bench-password@127.0.0.1:${port}`,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone already */
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 50));
        } catch {
          break;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
