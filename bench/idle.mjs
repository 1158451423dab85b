// `BENCH_OPS=idle npm run bench` (or `npm run bench -- idle`): what one API
// process with nothing to do costs. Its background loops (the feed's
// sequencer, the webhook dispatcher, live updates, email out, bulk changes,
// the SLA worker, search, sweeps) ask the database on their own; on jongodb
// every command is a scan, billed to the engine. One engine, one API
// process (email out on, to an outbox folder, so its loop runs too; a few
// tickets and one webhook in the database, caught up), BENCH_IDLE_WARMUP
// seconds (default 15) left alone, then BENCH_IDLE_SECONDS (default 60)
// measured: the engine's and the API process's CPU (user + system, from
// /proc), and the commands the API process sent (counted on the wire: it
// talks to the engine through a small proxy here that counts messages).
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { countingProxy } from './wire.mjs';

const WARMUP = Number(process.env.BENCH_IDLE_WARMUP ?? 15);
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

export async function idleBench({ engine, apiServer, stop, cpuMs }) {
  const outbox = mkdtempSync(join(tmpdir(), 'idle-outbox-'));
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
  const db = await engine('idle');
  const wire = await countingProxy(db.uri);
  const api = await apiServer(
    { ...db, uri: wire.uri },
    {
      EMAIL_OUTBOX_DIR: outbox,
      EMAIL_FROM: 'Support <support@bench.example.com>',
      WEBHOOK_ALLOW_PRIVATE: '1',
      LOG_LEVEL: 'error',
    },
  );
  const { execSync } = await import('node:child_process');
  const { dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const { token } = JSON.parse(
    execSync(
      `${JSON.stringify(process.execPath)} ${join(root, 'packages/api/dist/cli/tokens.js')} create --name idle --scopes webhooks:manage,tickets:read,tickets:write --json`,
      { env: { ...process.env, MONGODB_URI: db.uri } },
    ).toString(),
  );
  const gql = async (query, variables) =>
    (
      await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      })
    ).json();
  await gql('mutation($u: String!) { createWebhook(url: $u) { webhook { id } } }', {
    u: `http://127.0.0.1:${receiver.address().port}/hook`,
  });
  for (let i = 0; i < 5; i++)
    await gql('mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }', {
      i: { customerEmail: `idle${i}@example.com`, subject: 'idle', description: 'an idle bench ticket' },
    });
  await sleep(WARMUP * 1000);
  const ops = async () => wire.messages;
  const e0 = cpuMs(db.pid);
  const a0 = cpuMs(api.child.pid);
  const o0 = await ops();
  const k0 = wire.snapshot();
  await sleep(SECONDS * 1000);
  const e1 = cpuMs(db.pid);
  const a1 = cpuMs(api.child.pid);
  const o1 = await ops();
  const kinds = wire.since(k0).sort((a, b) => b[1] - a[1]);
  await stop(api);
  wire.close();
  await db.stop();
  receiver.close();
  rmSync(outbox, { recursive: true, force: true });
  const perSec = (ms) => (Number.isFinite(ms) ? (ms / SECONDS).toFixed(1) : '-');
  console.log(
    [
      `# idle: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, engine: ${db.name}`,
      `# one API process, email out to an outbox, one webhook, 5 tickets; ${WARMUP} s left alone, then ${SECONDS} s measured`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| engine CPU, ms a second | **${perSec(e1 - e0)}** |`,
      `| API process CPU, ms a second | ${perSec(a1 - a0)} |`,
      `| commands a second sent by the API process | ${((o1 - o0) / SECONDS).toFixed(1)} |`,
      ...kinds.map(([k, n]) => `| - \`${k}\` | ${(n / SECONDS).toFixed(2)} |`),
      '',
    ].join('\n'),
  );
}
