// `BENCH_OPS=email-in npm run bench` (or `npm run bench -- email-in`): how
// many inbound messages a second one API process turns into tickets, read
// from a real Dovecot (started here; needs root and dovecot-imapd). The
// messages (BENCH_EMAIL_MESSAGES, default 300, each from its own sender, so
// each opens a ticket) are put into a staging mailbox first and moved into
// INBOX in one command while the API idles on it; the clock runs until the
// last one's record is written. Its own baseline: imapflow fetching the same
// messages the way the reader does (envelope and size, then the source, one
// at a time), with no processing. Email out is off; rounds: BENCH_ROUNDS
// (default 3), each on a fresh mailbox and database; medians.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import { MongoClient } from 'mongodb';
// The tests' Dovecot (plain CommonJS, no build needed).
import { startDovecot } from '../packages/api/test/support/dovecot-server.js';

const N = Number(process.env.BENCH_EMAIL_MESSAGES ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 1) => n.toFixed(d);

const message = (i, round) =>
  [
    `From: Customer ${i} <customer${i}.r${round}@bench.example.org>`,
    'To: support@help.example.com',
    `Subject: Order ${i} has not arrived`,
    `Message-ID: <bench.${round}.${i}.${Date.now()}@bench.example.org>`,
    'Date: Mon, 07 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, my order number ${i} was due last week and has not arrived.`,
    'Could you look into it?',
    '',
    'Thanks,',
    `Customer ${i}`,
    '',
  ].join('\r\n');

const imapOf = (d) =>
  new ImapFlow({ host: '127.0.0.1', port: d.port, secure: false, auth: { user: d.user, pass: d.pass }, logger: false });

/** The baseline: the reader's own IMAP work on every message in INBOX, nothing else. */
async function fetchOnly(dovecot) {
  const client = imapOf(dovecot);
  await client.connect();
  await client.mailboxOpen('INBOX');
  const t = performance.now();
  const uids = (await client.search({ all: true }, { uid: true })) || [];
  for (const uid of uids) {
    await client.fetchOne(String(uid), { uid: true, size: true, envelope: true }, { uid: true });
    await client.fetchOne(String(uid), { source: true }, { uid: true });
  }
  const ms = performance.now() - t;
  await client.logout();
  return { count: uids.length, ms };
}

async function round(r, { engine, apiServer }) {
  const dovecot = await startDovecot();
  const db = await engine(`email_in_${r}`);
  const client = imapOf(dovecot);
  await client.connect();
  await client.mailboxCreate('Staging');
  for (let i = 0; i < N; i++) await client.append('Staging', message(i, r));
  const api = await apiServer(db, {
    IMAP_URL: dovecot.url,
    EMAIL_INBOUND_CAP_PER_HOUR: String(N * 10),
    SEARCH_INDEXING: 'off',
  });
  const mongo = await MongoClient.connect(db.uri);
  const inbound = mongo.db().collection('email_inbound');
  // The reader holds INBOX (empty) and idles: give it a moment to be there.
  for (let i = 0; i < 100 && !(await mongo.db().collection('mail_leases').findOne({ _id: 'inbound:INBOX' })); i++)
    await new Promise((res) => setTimeout(res, 100));
  await client.mailboxOpen('Staging');
  const t = performance.now();
  await client.messageMove('1:*', 'INBOX');
  let done = 0;
  for (const limit = t + 600_000; performance.now() < limit;) {
    done = await inbound.countDocuments({ outcome: { $ne: 'TAKEN' } });
    if (done >= N) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const ms = performance.now() - t;
  const opened = await inbound.countDocuments({ outcome: 'OPENED' });
  const tickets = await mongo.db().collection('tickets').countDocuments({});
  api.child.kill('SIGTERM');
  await new Promise((res) => api.child.once('exit', res));
  await client.logout();
  const base = await fetchOnly(dovecot);
  await mongo.close();
  await db.stop();
  await dovecot.stop();
  return { done, opened, tickets, ms, base };
}

export async function emailInBench(tools) {
  const load = loadavg().map((l) => l.toFixed(1));
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round(r, tools));
  const api = rounds.map((x) => (x.done / x.ms) * 1000);
  const base = rounds.map((x) => (x.base.count / x.base.ms) * 1000);
  console.log(
    [
      `# email in: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load before ${load.join(' ')}, after ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
      `# ${N} new messages (each from its own sender) moved into INBOX of a local Dovecot; one API process, email out off; ${ROUNDS} rounds, medians`,
      '',
      '| path | messages a second | per message | rounds |',
      '| --- | ---: | ---: | --- |',
      `| API: fetched, parsed, claimed, ticket opened, record written, flagged | **${fmt(median(api))}** | ${fmt(1000 / median(api), 1)} ms | ${api.map((x) => fmt(x)).join(', ')} |`,
      `| baseline: imapflow fetching the same messages, no processing | ${fmt(median(base))} | ${fmt(1000 / median(base), 1)} ms | ${base.map((x) => fmt(x)).join(', ')} |`,
      '',
      `Every round: ${rounds.map((x) => `${x.done}/${N} taken, ${x.opened} opened, ${x.tickets} tickets`).join('; ')}.`,
      '',
    ].join('\n'),
  );
}
