// A 10 MiB upload and download stream through the API process without
// holding the file: the kernel's peak resident size of the server process
// (VmHWM, reset just before through /proc/<pid>/clear_refs) grows by a
// fraction of the file. Linux only (procfs).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { gql } from '../support/api';
import { png } from '../support/files';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

const procfs = existsSync('/proc/self/clear_refs');
if (!serverBuilt || !procfs) console.warn(`skipped: the memory test needs ${serverBuilt ? 'Linux procfs' : 'the build (npm test runs it first)'}`);
const describeIt = serverBuilt && procfs ? describe : describe.skip;

const SIZE = 10 * 1024 * 1024;
const PIECE = 64 * 1024;
const UPLOAD = `mutation($f: String!, $t: String!, $s: Int!) { createUpload(filename: $f, contentType: $t, size: $s) { attachmentId uploadUrl } }`;
const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { timeline { attachments { url } } } }`;

const kib = (pid: number, field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
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

/** Peak RSS growth (KiB) of `pid` while `work` runs. */
async function peakGrowth(pid: number, work: () => Promise<void>): Promise<number> {
  resetPeak(pid);
  const before = kib(pid, 'VmRSS');
  await work();
  return kib(pid, 'VmHWM') - before;
}

describeIt('memory of a 10 MiB attachment', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    ({ servers: [server] } = await startServers(1, 'attachments_memory'));
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  it('upload and download each raise the server\'s peak RSS by well under 10 MiB; bytes equal', async () => {
    const seed = randomBytes(PIECE);
    const pid = server.child.pid!;
    const round = async () => {
      const u = (await gql<any>(server.url, UPLOAD, { f: 'big.png', t: 'image/png', s: SIZE })).body.data.createUpload;
      const sent = createHash('sha256');
      let status = 0;
      const up = await peakGrowth(pid, async () => {
        status = await put(u.uploadUrl, sent, seed);
      });
      expect(status).toBe(201);
      const created = await gql<any>(server.url, CREATE, { input: { customerEmail: 'big@example.com', subject: 'Big file', description: 'Ten MiB.', attachmentIds: [u.attachmentId] } });
      const link = created.body.data.createTicket.timeline[0].attachments[0].url;
      const got = createHash('sha256');
      const down = await peakGrowth(pid, async () => {
        const res = await fetch(link);
        expect(res.status).toBe(200);
        for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) got.update(part);
      });
      expect(got.digest('hex')).toBe(sent.digest('hex'));
      return { up, down };
    };
    // The first round loads what a process loads once (file-type, GridFS indexes, pools); the second is measured.
    const first = await round();
    const second = await round();
    console.log(`10 MiB attachment, server peak RSS growth: upload ${(first.up / 1024).toFixed(1)} MiB then ${(second.up / 1024).toFixed(1)} MiB, download ${(first.down / 1024).toFixed(1)} MiB then ${(second.down / 1024).toFixed(1)} MiB`);
    expect(second.up).toBeLessThan(5 * 1024);
    expect(second.down).toBeLessThan(5 * 1024);
  });
});
