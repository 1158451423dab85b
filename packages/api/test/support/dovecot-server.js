// A throw-away Dovecot IMAP server (Debian's dovecot-imapd), started on
// 127.0.0.1 and a free port with its own config and mail under a temp dir;
// one user, plain login, no TLS. Plain CommonJS, so the tests (through
// dovecot.ts, which types it) and the email bench (bench/email-in.mjs, run
// by node without a build) start the same server.
const { execFileSync, spawn } = require('node:child_process');
const { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const DOVECOT = ['/usr/sbin/dovecot', '/usr/bin/dovecot'].find((p) => existsSync(p));

/** Why Dovecot cannot run here, or null. */
const dovecotMissing = !DOVECOT
  ? 'dovecot is not installed (apt-get install dovecot-imapd)'
  : process.getuid?.() !== 0
    ? 'dovecot tests need root (its workers switch to the dovecot users)'
    : null;

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts one; resolves with { port, user, pass, url, stop() } once its master runs. */
async function startDovecot() {
  if (dovecotMissing) throw new Error(dovecotMissing);
  const dir = mkdtempSync(join(tmpdir(), 'dovecot-'));
  chmodSync(dir, 0o755);
  const home = join(dir, 'mail');
  mkdirSync(home);
  execFileSync('chown', ['nobody:nogroup', home]);
  const port = await freePort();
  const user = 'support';
  const pass = 'test-password';
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${pass}::::::\n`);
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
  // It forks into the background: streams not piped, pid read from its file once it is there.
  const child = spawn(DOVECOT, ['-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  const pidFile = join(dir, 'run', 'master.pid');
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(50);
  if (!existsSync(pidFile)) {
    const log = join(dir, 'dovecot.log');
    const said = existsSync(log) ? readFileSync(log, 'utf8').slice(-800) : 'no log';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`dovecot did not start: ${said}`);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    port,
    user,
    pass,
    url: `imap://${user}:${pass}@127.0.0.1:${port}`,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone already
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
          await sleep(50);
        } catch {
          break;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { dovecotMissing, startDovecot };
