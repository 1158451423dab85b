// Attachments through built API processes (file-type is an ES module that
// Node loads and jest's module system does not): upload, reference, download,
// every refusal leaving nothing behind, expiry, the sweep, two processes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { AGENT_TOKEN, agent, codeOf, gql, ticketInput } from '../support/api';
import { jpeg, png, rawPut } from '../support/files';
import { Receiver } from '../support/receiver';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

if (!serverBuilt) console.warn('skipped: attachment tests need the build (npm test runs it first)');
const describeBuilt = serverBuilt ? describe : describe.skip;

const MAX = 1024 * 1024;
const UPLOAD = `mutation($f: String!, $t: String!, $s: Int!) { createUpload(filename: $f, contentType: $t, size: $s) { attachmentId uploadUrl expiresAt maxBytes } }`;
const ATTACHMENTS = 'attachments { id filename contentType size url }';
const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber customerEmail timeline { id kind ${ATTACHMENTS} } } }`;
const TRACK = `query($n: String!, $e: String!) { trackTicket(ticketNumber: $n, email: $e) { timeline { kind message ${ATTACHMENTS} } } }`;
const RESPOND = `mutation($n: String!, $m: String!, $a: [ID!]) { respondToTicket(ticketNumber: $n, message: $m, attachmentIds: $a) { timeline { kind ${ATTACHMENTS} } } }`;

/** A Buffer as fetch takes it (the DOM and Node typings disagree on Buffer). */
const asBody = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);
const sha = (b: Buffer | ArrayBuffer) => createHash('sha256').update(Buffer.from(b as ArrayBuffer)).digest('hex');

interface Upload {
  attachmentId: string;
  uploadUrl: string;
  expiresAt: string;
  maxBytes: number;
}

async function createUpload(url: string, filename: string, contentType: string, size: number): Promise<Upload> {
  const r = await gql<{ createUpload: Upload }>(url, UPLOAD, { f: filename, t: contentType, s: size });
  if (!r.body.data?.createUpload) throw new Error(`createUpload: ${JSON.stringify(r.body.errors)}`);
  return r.body.data.createUpload;
}

/** createUpload then PUT: the id of a stored upload. */
async function upload(url: string, bytes: Buffer, filename = 'screen.png', contentType = 'image/png'): Promise<string> {
  const u = await createUpload(url, filename, contentType, bytes.length);
  const put = await fetch(u.uploadUrl, { method: 'PUT', body: asBody(bytes) });
  if (put.status !== 201) throw new Error(`PUT ${put.status}: ${await put.text()}`);
  return u.attachmentId;
}

/** What the database holds for an upload: metadata, GridFS file, chunks. */
async function leftovers(db: Db, id: string) {
  const _id = new ObjectId(id);
  return {
    metadata: await db.collection('attachments').countDocuments({ _id }),
    files: await db.collection('attachment_files.files').countDocuments({ _id }),
    chunks: await db.collection('attachment_files.chunks').countDocuments({ files_id: _id }),
  };
}
const NOTHING = { metadata: 0, files: 0, chunks: 0 };

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (await check()) return true;
  return check();
}

describeBuilt('attachments on two API processes', () => {
  let servers: ServerProcess[] = [];
  let client: MongoClient;
  let db: Db;
  let a: string;
  let b: string;
  let uri: string;
  beforeAll(async () => {
    const started = await startServers(2, 'attachments', { ATTACHMENT_MAX_BYTES: String(MAX), METRICS: 'on', WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_DELAYS: '1' });
    uri = started.uri;
    servers = started.servers;
    [a, b] = servers.map((s) => s.url);
    client = await MongoClient.connect(started.uri);
    db = client.db();
    for (const c of ['attachments', 'attachment_files.files', 'attachment_files.chunks']) await db.collection(c).deleteMany({});
  });
  afterAll(async () => {
    const codes = await Promise.all(servers.map((s) => s.stop()));
    await client?.close();
    expect(codes).toEqual([0, 0]);
  });

  it('round trip: upload on one process, reference on the other, download from either by link and by token, bytes equal', async () => {
    // ~360 KB: two GridFS chunks.
    const bytes = png(400, 300, 3, true);
    const u = await createUpload(a, 'screen.png', 'image/png', bytes.length);
    expect(u).toMatchObject({ maxBytes: MAX });
    expect(new Date(u.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const put = await fetch(u.uploadUrl, { method: 'PUT', body: asBody(bytes) });
    expect(put.status).toBe(201);
    const created = await gql<any>(b, CREATE, { input: ticketInput({ attachmentIds: [u.attachmentId] }) });
    expect(created.body.errors).toBeUndefined();
    const ticket = created.body.data.createTicket;
    const [attachment] = ticket.timeline[0].attachments;
    expect(attachment).toMatchObject({ id: u.attachmentId, filename: 'screen.png', contentType: 'image/png', size: bytes.length });
    expect(attachment.url).toContain(new URL(b).host);
    for (const origin of [a, b]) {
      const link = new URL(attachment.url);
      const res = await fetch(new URL(link.pathname + link.search, origin));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe("attachment; filename=screen.png");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain('sandbox');
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(sha(await res.arrayBuffer())).toBe(sha(bytes));
      // The agent's token, without a signature.
      const byToken = await fetch(new URL(link.pathname, origin), { headers: agent });
      expect(byToken.status).toBe(200);
      expect(sha(await byToken.arrayBuffer())).toBe(sha(bytes));
    }
    // No signature, no token; a token without tickets:read is no better than none.
    expect((await fetch(new URL(new URL(attachment.url).pathname, a))).status).toBe(403);
    // The public lookup shows it to whoever has number and email.
    const tracked = await gql<any>(a, TRACK, { n: ticket.ticketNumber, e: ticket.customerEmail });
    expect(tracked.body.data.trackTicket.timeline[0].attachments.map((x: { id: string }) => x.id)).toEqual([u.attachmentId]);
  });

  it('an agent answers with two files (PDF and text); the filename is sanitised in the header', async () => {
    const ticket = (await gql<any>(a, CREATE, { input: ticketInput() })).body.data.createTicket;
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const text = Buffer.from('Grüße aus dem Büro: ✓ line one\nline two\n');
    const ids = [await upload(b, pdf, 'report.pdf', 'application/pdf'), await upload(b, text, '../../etc/Notiz "ä".txt', 'text/plain')];
    const r = await gql<any>(a, RESPOND, { n: ticket.ticketNumber, m: 'See the attached files.', a: ids }, agent);
    expect(r.body.errors).toBeUndefined();
    const answer = r.body.data.respondToTicket.timeline.at(-1);
    expect(answer.kind).toBe('FIRST_RESPONSE');
    expect(answer.attachments.map((x: { filename: string }) => x.filename)).toEqual(['report.pdf', 'Notiz ä.txt']);
    const res = await fetch(answer.attachments[1].url);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="Notiz ?.txt"; filename*=UTF-8''Notiz%20%C3%A4.txt`);
    expect(Buffer.from(await res.arrayBuffer()).equals(text)).toBe(true);
  });

  it('createUpload refuses a size over maxBytes, a type off the allowlist and an empty name, naming each field', async () => {
    const r = await gql<any>(a, UPLOAD, { f: ' ', t: 'text/html', s: MAX + 1 });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.body.errors![0].extensions.fields.map((f: { field: string }) => f.field)).toEqual(['filename', 'contentType', 'size']);
  });

  describe('every refused PUT leaves nothing stored', () => {
    const put = (url: string, chunks: Buffer[], length?: number) => rawPut(url, chunks, length).then((r) => r.status);
    const p = png(40, 40, 5, true);
    const table: [string, string, Buffer, (url: string, size: number) => Promise<number>, number][] = [
      ['413: Content-Length over maxBytes', 'image/png', p, (url) => put(url, [p], MAX + 1), 413],
      ['413: chunked, more than maxBytes', 'image/png', Buffer.alloc(MAX), (url) => put(url, [png(600, 600, 1, true).subarray(0, MAX), Buffer.alloc(1024)]), 413],
      ['415: a JPEG declared image/png', 'image/png', jpeg(), (url, size) => put(url, [jpeg()], size), 415],
      ['415: a gzip file (not allowed) declared image/png', 'image/png', Buffer.alloc(600), (url) => put(url, [Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(590, 1)])], 600), 415],
      ['415: a PNG declared text/plain', 'text/plain', p, (url, size) => put(url, [p], size), 415],
      ['415: text with a NUL', 'text/plain', Buffer.from('abc\u0000def'), (url) => put(url, [Buffer.from('abc\u0000def')], 7), 415],
      ['415: text that turns invalid UTF-8 after the sniffed head', 'text/plain', Buffer.alloc(10_000), (url) => put(url, [Buffer.alloc(9_000, 0x61), Buffer.alloc(1_000, 0xff)]), 415],
      ['400: Content-Length differs from size', 'image/png', p, (url, size) => put(url, [p], size + 1), 400],
      ['400: chunked, fewer bytes than size', 'image/png', p, (url) => put(url, [p.subarray(0, p.length - 10)]), 400],
      ['400: chunked, more bytes than size', 'image/png', p, (url) => put(url, [p, Buffer.alloc(10)]), 400],
    ];
    it.each(table)('%s', async (_name, type, body, send, status) => {
      const u = await createUpload(a, 'x.png', type, body.length);
      expect(await send(u.uploadUrl, body.length)).toBe(status);
      expect(await leftovers(db, u.attachmentId)).toEqual(NOTHING);
      // The upload is used up: a second PUT is 410.
      expect((await fetch(u.uploadUrl, { method: 'PUT', body: asBody(body) })).status).toBe(410);
    });

    it('410: a second PUT of a stored upload, and the bytes of the first stay', async () => {
      const bytes = png(10, 10, 9);
      const u = await createUpload(a, 'x.png', 'image/png', bytes.length);
      expect((await fetch(u.uploadUrl, { method: 'PUT', body: asBody(bytes) })).status).toBe(201);
      expect((await fetch(u.uploadUrl, { method: 'PUT', body: asBody(bytes) })).status).toBe(410);
      expect(await leftovers(db, u.attachmentId)).toMatchObject({ metadata: 1, files: 1, chunks: 1 });
    });

    it('403: a tampered signature; the upload stays available', async () => {
      const bytes = png(10, 10, 9);
      const u = await createUpload(a, 'x.png', 'image/png', bytes.length);
      const forged = u.uploadUrl.replace(/signature=./, (m) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A'));
      expect((await fetch(forged, { method: 'PUT', body: asBody(bytes) })).status).toBe(403);
      expect((await fetch(u.uploadUrl, { method: 'PUT', body: asBody(bytes) })).status).toBe(201);
    });

    it('the refusals are counted by reason in /metrics', async () => {
      const text = await (await fetch(a.replace('/graphql', '/metrics'))).text();
      for (const reason of ['too_large', 'wrong_type', 'wrong_length', 'gone', 'forbidden']) expect(text).toMatch(new RegExp(`attachment_uploads_refused_total\\{reason="${reason}"\\} [1-9]`));
      expect(text).toMatch(/attachment_files_stored_total [1-9]/);
      expect(text).toMatch(/attachment_bytes_stored_total [1-9]/);
    });
  });

  describe('references', () => {
    const refuse = async (ids: string[], message: RegExp) => {
      const r = await gql<any>(b, CREATE, { input: ticketInput({ attachmentIds: ids }) });
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors![0].extensions.fields).toEqual([{ field: 'attachmentIds', message: expect.stringMatching(message) }]);
    };

    it('unknown, malformed, not yet uploaded, used, twice in one list, more than 5: BAD_USER_INPUT on attachmentIds, and no ticket', async () => {
      const before = await db.collection('tickets').countDocuments();
      await refuse([new ObjectId().toHexString()], /unknown/);
      await refuse(['not-an-id'], /unknown/);
      const pending = await createUpload(a, 'x.png', 'image/png', 100);
      await refuse([pending.attachmentId], /not uploaded/);
      const used = await upload(a, png());
      expect((await gql(a, CREATE, { input: ticketInput({ attachmentIds: [used] }) })).body.errors).toBeUndefined();
      const fresh = await upload(a, png(9, 9));
      await refuse([fresh, used], /already used/);
      await refuse([fresh, fresh], /twice/);
      const six = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(a, png(4, 4, i + 1))));
      await refuse(six, /at most 5/);
      expect(await db.collection('tickets').countDocuments()).toBe(before + 1);
      // A refused list gives back what it took: `fresh` is still free, five at once are fine.
      const ok = await gql<any>(a, CREATE, { input: ticketInput({ attachmentIds: [fresh, ...six.slice(0, 4)] }) });
      expect(ok.body.data.createTicket.timeline[0].attachments).toHaveLength(5);
    });

    it('two tickets naming one upload at once: exactly one gets it', async () => {
      const id = await upload(a, png(6, 6));
      const results = await Promise.all([a, b, a, b].map((url) => gql<any>(url, CREATE, { input: ticketInput({ attachmentIds: [id] }) })));
      expect(results.filter((r) => !r.body.errors)).toHaveLength(1);
      expect(results.filter((r) => codeOf(r) === 'BAD_USER_INPUT')).toHaveLength(3);
    });

    it('an idempotent retry with the same uploads replays the ticket', async () => {
      const id = await upload(a, png(5, 5));
      const input = ticketInput({ attachmentIds: [id], idempotencyKey: `att-${Date.now()}` });
      const first = await gql<any>(a, CREATE, { input });
      const again = await gql<any>(b, CREATE, { input });
      expect(again.body.errors).toBeUndefined();
      expect(again.body.data.createTicket.ticketNumber).toBe(first.body.data.createTicket.ticketNumber);
    });
  });

  it('the feed and webhooks carry the attachments\' metadata, never the bytes', async () => {
    const created = await promisify(execFile)(process.execPath, [join(__dirname, '../../dist/cli/tokens.js'), 'create', '--name', `hooks-${Date.now()}`, '--scopes', 'webhooks:manage,tickets:read', '--json'], { env: { PATH: process.env.PATH ?? '', MONGODB_URI: uri } });
    const manager = { authorization: `Bearer ${JSON.parse(created.stdout).token}` };
    const receiver = new Receiver();
    try {
      const hook = await gql<any>(a, 'mutation($url: String!) { createWebhook(url: $url, kinds: [CREATED]) { webhook { id } } }', { url: await receiver.start() }, manager);
      expect(hook.body.errors).toBeUndefined();
      const bytes = png(30, 20, 4);
      const id = await upload(b, bytes, 'hook.png');
      const ticket = (await gql<any>(b, CREATE, { input: ticketInput({ attachmentIds: [id] }) })).body.data.createTicket;
      const meta = { id, filename: 'hook.png', contentType: 'image/png', size: bytes.length };
      expect(await waitFor(async () => receiver.requests.some((r) => r.body.includes(ticket.ticketNumber)), 15_000)).toBe(true);
      const payload = JSON.parse(receiver.requests.find((r) => r.body.includes(ticket.ticketNumber))!.body);
      expect(payload.data.event.attachments).toEqual([meta]);
      let change: any;
      await waitFor(async () => {
        const page = await gql<any>(a, 'query { ticketChanges(first: 100, since: "2000-01-01T00:00:00Z") { changes { event { id attachments { id filename contentType size url } } } } }', {}, agent);
        change = page.body.data?.ticketChanges.changes.find((c: any) => c.event.id === ticket.timeline[0].id);
        return !!change;
      }, 15_000);
      expect(change.event.attachments).toEqual([{ ...meta, url: expect.stringMatching(/\/attachments\/[0-9a-f]{24}\?expires=\d+&signature=/) }]);
      await gql(a, 'mutation($id: ID!) { deleteWebhook(id: $id) }', { id: hook.body.data.createWebhook.webhook.id }, manager);
    } finally {
      await receiver.stop();
    }
  });

  it('npm run doctor reports orphaned chunks and attachments whose event is gone; --fix removes them', async () => {
    const doctor = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(__dirname, '../../dist/cli/doctor.js'), '--json', ...args], { env: { PATH: process.env.PATH ?? '', MONGODB_URI: uri } }).then(
        (r) => ({ code: 0, report: JSON.parse(r.stdout) }),
        (e) => ({ code: e.code as number, report: JSON.parse(e.stdout) }),
      );
    const clean = await doctor();
    expect(clean.report.attachments).toMatchObject({ healthy: true, orphanedBytes: { count: 0 }, detached: { count: 0 } });
    // Damage: chunks of an upload whose removal was cut short, and a ticket event deleted behind the API's back.
    const lost = new ObjectId();
    await db.collection('attachment_files.chunks').insertMany([0, 1].map((n) => ({ files_id: lost, n, data: Buffer.alloc(10) })));
    const id = await upload(a, png(3, 3));
    const ticket = (await gql<any>(a, CREATE, { input: ticketInput({ attachmentIds: [id] }) })).body.data.createTicket;
    const healthy = await upload(a, png(3, 4));
    expect((await gql(a, CREATE, { input: ticketInput({ attachmentIds: [healthy] }) })).body.errors).toBeUndefined();
    await db.collection('ticket_events').deleteOne({ _id: new ObjectId(ticket.timeline[0].id) });
    const sick = await doctor();
    expect(sick.code).toBe(1);
    expect(sick.report.attachments).toMatchObject({ healthy: false, orphanedBytes: { count: 1, chunks: 2, examples: [String(lost)] }, detached: { count: 1, examples: [id] } });
    const fixed = await doctor('--fix');
    expect(fixed.report.attachments.removed).toEqual({ orphanedBytes: 1, detached: 1 });
    expect(fixed.report.attachments.after.healthy).toBe(true);
    expect(await leftovers(db, id)).toEqual(NOTHING);
    expect(await db.collection('attachment_files.chunks').countDocuments({ files_id: lost })).toBe(0);
    // Everything else is untouched.
    expect(await leftovers(db, healthy)).toEqual({ metadata: 1, files: 1, chunks: 1 });
  });
});

describeBuilt('attachments with short TTLs', () => {
  let servers: ServerProcess[] = [];
  let client: MongoClient;
  let db: Db;
  let url: string;
  beforeAll(async () => {
    // Two processes: both sweep every second; removals are conditional, so they never clash.
    const started = await startServers(2, 'attachments_ttl', { ATTACHMENT_LINK_TTL: '2', ATTACHMENT_UPLOAD_TTL: '2', ATTACHMENT_UNREFERENCED_TTL: '3', ATTACHMENT_SWEEP_INTERVAL: '1', LOG_LEVEL: 'info' });
    servers = started.servers;
    url = servers[0].url;
    client = await MongoClient.connect(started.uri);
    db = client.db();
  });
  afterAll(async () => {
    const codes = await Promise.all(servers.map((s) => s.stop()));
    await client?.close();
    expect(codes).toEqual([0, 0]);
    // Neither sweep ever failed, and nothing was removed twice.
    expect(servers.map((s) => s.out()).join('')).not.toMatch(/sweep failed/);
  });

  /** Uploads left unreferenced before the sweep test: the sweep removes them too. */
  let expiredUploads = 0;

  it('an upload URL past expiresAt is 410 and stores nothing', async () => {
    expiredUploads++;
    const bytes = png();
    const u = await createUpload(url, 'late.png', 'image/png', bytes.length);
    await new Promise((r) => setTimeout(r, new Date(u.expiresAt).getTime() - Date.now() + 1_100));
    expect((await fetch(u.uploadUrl, { method: 'PUT', body: asBody(bytes) })).status).toBe(410);
    expect(await leftovers(db, u.attachmentId)).toMatchObject({ files: 0, chunks: 0 });
  });

  it('a link past its expiry is 410; a tickets:read token still downloads', async () => {
    const bytes = png(7, 7);
    const id = await upload(url, bytes);
    const ticket = (await gql<any>(url, CREATE, { input: ticketInput({ attachmentIds: [id] }) })).body.data.createTicket;
    const link = ticket.timeline[0].attachments[0].url as string;
    const expires = Number(new URL(link).searchParams.get('expires')) * 1000;
    await new Promise((r) => setTimeout(r, expires - Date.now() + 1_100));
    expect((await fetch(link)).status).toBe(410);
    const byToken = await fetch(link, { headers: { authorization: `Bearer ${AGENT_TOKEN}` } });
    expect(byToken.status).toBe(200);
    expect(sha(await byToken.arrayBuffer())).toBe(sha(bytes));
    // A fresh read of the timeline signs a fresh link.
    const tracked = await gql<any>(url, TRACK, { n: ticket.ticketNumber, e: ticket.customerEmail });
    expect((await fetch(tracked.body.data.trackTicket.timeline[0].attachments[0].url)).status).toBe(200);
  });

  it('an upload nobody references is removed by the sweep (bytes and metadata); a referenced one stays', async () => {
    const orphan = await upload(url, png(11, 11));
    const kept = await upload(url, png(12, 12));
    expect((await gql(url, CREATE, { input: ticketInput({ attachmentIds: [kept] }) })).body.errors).toBeUndefined();
    expect(await leftovers(db, orphan)).toMatchObject({ metadata: 1, files: 1 });
    expect(await waitFor(async () => (await leftovers(db, orphan)).metadata === 0, 15_000)).toBe(true);
    expect(await leftovers(db, orphan)).toEqual(NOTHING);
    // One removal, by whichever process got there first.
    const removed = () => servers.flatMap((s) => [...s.out().matchAll(/"removed":(\d+)/g)].map((m) => Number(m[1]))).reduce((x, y) => x + y, 0);
    // The log line follows the round's deletes: wait for it, then it must not be more.
    await waitFor(async () => removed() >= expiredUploads + 1, 5_000);
    expect(removed()).toBe(expiredUploads + 1);
    expect(await leftovers(db, kept)).toMatchObject({ metadata: 1, files: 1, chunks: 1 });
    // Past the hour (here 3 s) an unreferenced id is no longer accepted.
    await refuseLate(url);
  });
});

async function refuseLate(url: string): Promise<void> {
  const u = await createUpload(url, 'x.png', 'image/png', png(13, 13).length);
  expect((await fetch(u.uploadUrl, { method: 'PUT', body: asBody(png(13, 13)) })).status).toBe(201);
  await new Promise((r) => setTimeout(r, 3_200));
  const r = await gql<any>(url, CREATE, { input: ticketInput({ attachmentIds: [u.attachmentId] }) });
  expect(codeOf(r)).toBe('BAD_USER_INPUT');
}
