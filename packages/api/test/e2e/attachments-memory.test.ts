// A 10 MiB upload and download stream through the API process without
// holding the file. Measured two ways on the server process: the peak of
// live ArrayBuffer bytes (sampled every 10 ms after a forced full
// collection, test/support/memory-probe.js), which is asserted, and the
// kernel's peak resident size (VmHWM, reset before each transfer through
// /proc/<pid>/clear_refs), which is reported: RSS also counts dead buffers
// until the collector runs, and memory freed earlier may be reused unseen.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { AGENT_TOKEN, COLLECTIONS, databaseUri, gql } from '../support/api';
import { png } from '../support/files';
import { serverBuilt } from '../support/processes';

const procfs = existsSync('/proc/self/clear_refs');
if (!serverBuilt || !procfs)
  console.warn(`skipped: the memory test needs ${serverBuilt ? 'Linux procfs' : 'the build (npm test runs it first)'}`);
const describeIt = serverBuilt && procfs ? describe : describe.skip;
const PROBE = join(__dirname, '../support/memory-probe.js');

const SIZE = 10 * 1024 * 1024;
const PIECE = 64 * 1024;
const UPLOAD = `mutation($f: String!, $t: String!, $s: Int!) { createUpload(filename: $f, contentType: $t, size: $s) { attachmentId uploadUrl } }`;
const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { timeline { attachments { url } } } }`;

const kib = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
/** Reset the process's peak RSS to its current RSS (Linux >= 4.0). */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** The file, made piece by piece as it is sent: the test never holds it either. */
function* pieces(seed: Buffer): Generator<Buffer> {
  const head = png(8, 8);
  yield head;
  for (let sent = head.length; sent < SIZE; sent += PIECE) yield seed.subarray(0, Math.min(PIECE, SIZE - sent));
}

function put(url: string, hash: ReturnType<typeof createHash>, seed: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { 'content-length': String(SIZE) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    (async () => {
      for (const piece of pieces(seed)) {
        hash.update(piece);
        if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

interface Growth {
  /** Peak live ArrayBuffer bytes over the baseline, KiB. */
  live: number;
  /** Peak RSS over RSS before, KiB. */
  rss: number;
}

/** Ask the probe something and wait for its answer. */
const ask = <T>(child: ChildProcess, message: string) =>
  new Promise<T>((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(message);
  });

/** How much the server grows while `work` runs. */
async function growth(child: ChildProcess, work: () => Promise<void>): Promise<Growth> {
  const pid = child.pid!;
  await ask(child, 'start');
  resetPeak(pid);
  const before = kib(pid, 'VmRSS');
  await work();
  const rss = kib(pid, 'VmHWM') - before;
  const { base, peak } = await ask<{ base: number; peak: number }>(child, 'stop');
  return { live: (peak - base) / 1024, rss };
}

describeIt('memory of a 10 MiB attachment', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    const uri = databaseUri('attachments_memory');
    const client = await MongoClient.connect(uri);
    for (const name of [...COLLECTIONS, 'attachments', 'attachment_files.files', 'attachment_files.chunks'])
      await client.db().collection(name).deleteMany({});
    await client.close();
    child = fork(PROBE, [], {
      execArgv: ['--expose-gc'],
      silent: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        NODE_ENV: 'production',
        MONGODB_URI: uri,
        AGENT_TOKENS: AGENT_TOKEN,
        RATE_LIMIT: 'off',
      },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    for (let i = 0; i < 300 && !/ready at (http\S+graphql)/.test(out); i++)
      await new Promise((r) => setTimeout(r, 100));
    url = /ready at (http\S+graphql)/.exec(out)?.[1] ?? '';
    if (!url) throw new Error(`probe did not start: ${out.slice(-500)}`);
  });
  afterAll(async () => {
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  });

  it('upload and download each keep well under 10 MiB alive in the server (a few chunks); bytes equal', async () => {
    const seed = randomBytes(PIECE);
    const round = async () => {
      const u = (await gql<any>(url, UPLOAD, { f: 'big.png', t: 'image/png', s: SIZE })).body.data.createUpload;
      const sent = createHash('sha256');
      let status = 0;
      const up = await growth(child, async () => {
        status = await put(u.uploadUrl, sent, seed);
      });
      expect(status).toBe(201);
      const created = await gql<any>(url, CREATE, {
        input: {
          customerEmail: 'big@example.com',
          subject: 'Big file',
          description: 'Ten MiB.',
          attachmentIds: [u.attachmentId],
        },
      });
      const link = created.body.data.createTicket.timeline[0].attachments[0].url;
      const got = createHash('sha256');
      const down = await growth(child, async () => {
        const res = await fetch(link);
        expect(res.status).toBe(200);
        for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) got.update(part);
      });
      expect(got.digest('hex')).toBe(sent.digest('hex'));
      return { up, down };
    };
    // The first round loads what a process loads once (file-type, GridFS indexes, pools); three more are measured.
    const warm = await round();
    const rounds = [await round(), await round(), await round()];
    const mib = (kb: number) => (kb / 1024).toFixed(1);
    const list = (pick: (r: { up: Growth; down: Growth }) => number) => rounds.map((r) => mib(pick(r))).join(', ');
    console.log(
      `10 MiB attachment, server growth in MiB per round: upload live ${list((r) => r.up.live)} (rss ${list((r) => r.up.rss)}), ` +
        `download live ${list((r) => r.down.live)} (rss ${list((r) => r.down.rss)}); cold round: upload live ${mib(warm.up.live)} rss ${mib(warm.up.rss)}, download live ${mib(warm.down.live)} rss ${mib(warm.down.rss)}`,
    );
    // Holding the file would keep 10 MiB alive at once; streaming keeps a few chunks.
    for (const r of [warm, ...rounds]) {
      expect(r.up.live).toBeLessThan(3 * 1024);
      expect(r.down.live).toBeLessThan(3 * 1024);
    }
  });
});
