// Attachments through built API processes (file-type is an ES module that
// Node loads and jest's module system does not): upload, reference, download,
// every refusal leaving nothing behind, expiry, the sweep, two processes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { GridFSBucket, MongoClient, ObjectId, type Db } from 'mongodb';
import { AGENT_TOKEN, agent, codeOf, gql, metricsAuth, ticketInput } from '../support/api';
import { jpeg, png, rawPut } from '../support/files';
import { Receiver } from '../support/receiver';
import { until } from '../support/until';
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
const sha = (b: Buffer | ArrayBuffer) =>
  createHash('sha256')
    .update(Buffer.from(b as ArrayBuffer))
    .digest('hex');

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

// Waits (until) have generous bounds: a busy host makes sweeps late, never wrong; a pass returns as soon as the check holds.
const isNothing = (left: Awaited<ReturnType<typeof leftovers>>) => isDeepStrictEqual(left, NOTHING);

describeBuilt('attachments on two API processes', () => {
  let servers: ServerProcess[] = [];
  let client: MongoClient;
  let db: Db;
  let a: string;
  let b: string;
  let uri: string;
  beforeAll(async () => {
    const started = await startServers(2, 'attachments', {
      ATTACHMENT_MAX_BYTES: String(MAX),
      METRICS: 'on',
      WEBHOOK_ALLOW_PRIVATE: '1',
      WEBHOOK_RETRY_DELAYS: '1',
    });
    uri = started.uri;
    servers = started.servers;
    [a, b] = servers.map((s) => s.url);
    client = await MongoClient.connect(started.uri);
    db = client.db();
    for (const c of ['attachments', 'attachment_files.files', 'attachment_files.chunks'])
      await db.collection(c).deleteMany({});
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
    expect(attachment).toMatchObject({
      id: u.attachmentId,
      filename: 'screen.png',
      contentType: 'image/png',
      size: bytes.length,
    });
    expect(attachment.url).toContain(new URL(b).host);
    for (const origin of [a, b]) {
      const link = new URL(attachment.url);
      const res = await fetch(new URL(link.pathname + link.search, origin));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename=screen.png');
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
    expect(tracked.body.data.trackTicket.timeline[0].attachments.map((x: { id: string }) => x.id)).toEqual([
      u.attachmentId,
    ]);
  });

  it('an agent answers with two files (PDF and text); the filename is sanitised in the header', async () => {
    const ticket = (await gql<any>(a, CREATE, { input: ticketInput() })).body.data.createTicket;
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const text = Buffer.from('Grüße aus dem Büro: ✓ line one\nline two\n');
    const ids = [
      await upload(b, pdf, 'report.pdf', 'application/pdf'),
      await upload(b, text, '../../etc/Notiz "ä".txt', 'text/plain'),
    ];
    const r = await gql<any>(a, RESPOND, { n: ticket.ticketNumber, m: 'See the attached files.', a: ids }, agent);
    expect(r.body.errors).toBeUndefined();
    const answer = r.body.data.respondToTicket.timeline.at(-1);
    expect(answer.kind).toBe('FIRST_RESPONSE');
    expect(answer.attachments.map((x: { filename: string }) => x.filename)).toEqual(['report.pdf', 'Notiz ä.txt']);
    const res = await fetch(answer.attachments[1].url);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Notiz ?.txt"; filename*=UTF-8''Notiz%20%C3%A4.txt`,
    );
    expect(Buffer.from(await res.arrayBuffer()).equals(text)).toBe(true);
  });

  it('createUpload refuses a size over maxBytes, a type off the allowlist and an empty name, naming each field', async () => {
    const r = await gql<any>(a, UPLOAD, { f: ' ', t: 'text/html', s: MAX + 1 });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.body.errors![0].extensions.fields.map((f: { field: string }) => f.field)).toEqual([
      'filename',
      'contentType',
      'size',
    ]);
  });

  it('the saved name carries the extension of the type the bytes must be: replaced or appended', async () => {
    const saved = async (f: string, t: string) => {
      const u = await createUpload(a, f, t, 10);
      return (await db.collection('attachments').findOne({ _id: new ObjectId(u.attachmentId) }))!.filename;
    };
    expect(await saved('fix.html', 'text/plain')).toBe('fix.txt');
    expect(await saved('notes', 'text/plain')).toBe('notes.txt');
    expect(await saved('photo.jpeg', 'image/jpeg')).toBe('photo.jpeg');
    expect(await saved('shot.PNG', 'image/png')).toBe('shot.PNG');
    expect(await saved('cat.png', 'image/gif')).toBe('cat.gif');
    expect(await saved('invoice.pdf.exe', 'application/pdf')).toBe('invoice.pdf.pdf');
    expect(await saved('v1.2 final', 'application/pdf')).toBe('v1.2 final.pdf');
    expect(await saved('.htaccess', 'text/plain')).toBe('htaccess.txt');
  });

  describe('every refused PUT leaves nothing stored', () => {
    const put = (url: string, chunks: Buffer[], length?: number) => rawPut(url, chunks, length).then((r) => r.status);
    const p = png(40, 40, 5, true);
    const table: [string, string, Buffer, (url: string, size: number) => Promise<number>, number][] = [
      ['413: Content-Length over maxBytes', 'image/png', p, (url) => put(url, [p], MAX + 1), 413],
      [
        '413: chunked, more than maxBytes',
        'image/png',
        Buffer.alloc(MAX),
        (url) => put(url, [png(600, 600, 1, true).subarray(0, MAX), Buffer.alloc(1024)]),
        413,
      ],
      ['415: a JPEG declared image/png', 'image/png', jpeg(), (url, size) => put(url, [jpeg()], size), 415],
      [
        '415: a gzip file (not allowed) declared image/png',
        'image/png',
        Buffer.alloc(600),
        (url) =>
          put(url, [Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(590, 1)])], 600),
        415,
      ],
      ['415: a PNG declared text/plain', 'text/plain', p, (url, size) => put(url, [p], size), 415],
      [
        '415: text with a NUL',
        'text/plain',
        Buffer.from('abc\u0000def'),
        (url) => put(url, [Buffer.from('abc\u0000def')], 7),
        415,
      ],
      [
        '415: text that turns invalid UTF-8 after the sniffed head',
        'text/plain',
        Buffer.alloc(10_000),
        (url) => put(url, [Buffer.alloc(9_000, 0x61), Buffer.alloc(1_000, 0xff)]),
        415,
      ],
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
      const text = await (await fetch(a.replace('/graphql', '/metrics'), metricsAuth)).text();
      for (const reason of ['too_large', 'wrong_type', 'wrong_length', 'gone', 'forbidden'])
        expect(text).toMatch(new RegExp(`attachment_uploads_refused_total\\{reason="${reason}"\\} [1-9]`));
      expect(text).toMatch(/attachment_files_stored_total [1-9]/);
      expect(text).toMatch(/attachment_bytes_stored_total [1-9]/);
    });
  });

  describe('references', () => {
    const refuse = async (ids: string[], message: RegExp) => {
      const r = await gql<any>(b, CREATE, { input: ticketInput({ attachmentIds: ids }) });
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors![0].extensions.fields).toEqual([
        { field: 'attachmentIds', message: expect.stringMatching(message) },
      ]);
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

    it("ids cannot be guessed: an attacker's guesses next to and between its own two uploads find nobody else's", async () => {
      const first = await upload(a, png(5, 6));
      const victim = await upload(a, png(5, 7));
      const second = await upload(a, png(5, 8));
      // An ObjectId made by one process between two others shares their first 9 bytes and counts up by one.
      const near = (id: string, step: number) =>
        id.slice(0, 18) + ((parseInt(id.slice(18), 16) + step) & 0xffffff).toString(16).padStart(6, '0');
      const guesses = [
        ...new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((k) => [near(first, k), near(second, -k)])),
      ].filter((g) => g !== first && g !== second);
      // One at a time: a list is all or none, so a hit among misses would not show.
      for (const guess of guesses)
        expect(codeOf(await gql<any>(a, CREATE, { input: ticketInput({ attachmentIds: [guess] }) }))).toBe(
          'BAD_USER_INPUT',
        );
      expect(guesses).not.toContain(victim);
      // 96 random bits: not the shared prefix of the process's ObjectIds.
      expect(first.slice(8, 18)).not.toBe(second.slice(8, 18));
      expect((await db.collection('attachments').findOne({ _id: new ObjectId(victim) }))?.eventId).toBeUndefined();
    });

    it("a public createTicket cannot reference a token holder's upload; a token holder can", async () => {
      const bytes = png(6, 5);
      const r = await gql<{ createUpload: Upload }>(
        a,
        UPLOAD,
        { f: 'internal.png', t: 'image/png', s: bytes.length },
        agent,
      );
      const u = r.body.data!.createUpload;
      expect((await fetch(u.uploadUrl, { method: 'PUT', body: asBody(bytes) })).status).toBe(201);
      const stolen = await gql<any>(b, CREATE, { input: ticketInput({ attachmentIds: [u.attachmentId] }) });
      expect(codeOf(stolen)).toBe('BAD_USER_INPUT');
      expect(stolen.body.errors?.[0].extensions.fields).toEqual([expect.objectContaining({ field: 'attachmentIds' })]);
      const byAgent = await gql<any>(b, CREATE, { input: ticketInput({ attachmentIds: [u.attachmentId] }) }, agent);
      expect(byAgent.body.errors).toBeUndefined();
      expect(byAgent.body.data.createTicket.timeline[0].attachments[0].id).toBe(u.attachmentId);
    });

    it('two tickets naming one upload at once: exactly one gets it', async () => {
      const id = await upload(a, png(6, 6));
      const results = await Promise.all(
        [a, b, a, b].map((url) => gql<any>(url, CREATE, { input: ticketInput({ attachmentIds: [id] }) })),
      );
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

  it("the feed and webhooks carry the attachments' metadata, never the bytes", async () => {
    const created = await promisify(execFile)(
      process.execPath,
      [
        join(__dirname, '../../dist/cli/tokens.js'),
        'create',
        '--name',
        `hooks-${Date.now()}`,
        '--scopes',
        'webhooks:manage,tickets:read',
        '--json',
      ],
      { env: { PATH: process.env.PATH ?? '', MONGODB_URI: uri } },
    );
    const manager = { authorization: `Bearer ${JSON.parse(created.stdout).token}` };
    const receiver = new Receiver();
    try {
      const hook = await gql<any>(
        a,
        'mutation($url: String!) { createWebhook(url: $url, kinds: [CREATED]) { webhook { id } } }',
        { url: await receiver.start() },
        manager,
      );
      expect(hook.body.errors).toBeUndefined();
      const bytes = png(30, 20, 4);
      const id = await upload(b, bytes, 'hook.png');
      const ticket = (await gql<any>(b, CREATE, { input: ticketInput({ attachmentIds: [id] }) })).body.data
        .createTicket;
      const meta = { id, filename: 'hook.png', contentType: 'image/png', size: bytes.length };
      await until(
        async () => receiver.requests.some((r) => r.body.includes(ticket.ticketNumber)),
        Boolean,
        "the ticket's delivery",
      );
      const payload = JSON.parse(receiver.requests.find((r) => r.body.includes(ticket.ticketNumber))!.body);
      expect(payload.data.event.attachments).toEqual([meta]);
      const change = await until<any>(
        async () =>
          (
            await gql<any>(
              a,
              'query { ticketChanges(first: 100, since: "2000-01-01T00:00:00Z") { changes { event { id attachments { id filename contentType size url } } } } }',
              {},
              agent,
            )
          ).body.data?.ticketChanges.changes.find((c: any) => c.event.id === ticket.timeline[0].id),
        Boolean,
        "the ticket's change in the feed",
        15_000,
      );
      expect(change.event.attachments).toEqual([
        { ...meta, url: expect.stringMatching(/\/attachments\/[0-9a-f]{24}\?expires=\d+&signature=/) },
      ]);
      await gql(
        a,
        'mutation($id: ID!) { deleteWebhook(id: $id) }',
        { id: hook.body.data.createWebhook.webhook.id },
        manager,
      );
    } finally {
      await receiver.stop();
    }
  });

  it('npm run doctor reports orphaned chunks and attachments whose event is gone; --fix removes them', async () => {
    const doctor = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(__dirname, '../../dist/cli/doctor.js'), '--json', ...args], {
        env: { PATH: process.env.PATH ?? '', MONGODB_URI: uri },
      }).then(
        (r) => ({ code: 0, report: JSON.parse(r.stdout) }),
        (e) => ({ code: e.code as number, report: JSON.parse(e.stdout) }),
      );
    const clean = await doctor();
    expect(clean.report.attachments).toMatchObject({
      healthy: true,
      orphanedBytes: { count: 0 },
      detached: { count: 0 },
    });
    // Damage: chunks of an upload whose removal was cut short, and a ticket event deleted behind the API's back.
    const lost = new ObjectId();
    await db
      .collection('attachment_files.chunks')
      .insertMany([0, 1].map((n) => ({ files_id: lost, n, data: Buffer.alloc(10) })));
    const id = await upload(a, png(3, 3));
    const ticket = (await gql<any>(a, CREATE, { input: ticketInput({ attachmentIds: [id] }) })).body.data.createTicket;
    const healthy = await upload(a, png(3, 4));
    expect((await gql(a, CREATE, { input: ticketInput({ attachmentIds: [healthy] }) })).body.errors).toBeUndefined();
    await db.collection('ticket_events').deleteOne({ _id: new ObjectId(ticket.timeline[0].id) });
    // Claimed two hours ago: its event is long gone. A claim made just now may have its event still being written.
    await db
      .collection('attachments')
      .updateOne({ _id: new ObjectId(id) }, { $set: { claimedAt: new Date(Date.now() - 2 * 3600_000) } });
    const young = await upload(a, png(3, 5));
    const youngTicket = (await gql<any>(a, CREATE, { input: ticketInput({ attachmentIds: [young] }) })).body.data
      .createTicket;
    await db.collection('ticket_events').deleteOne({ _id: new ObjectId(youngTicket.timeline[0].id) });
    expect((await db.collection('attachments').findOne({ _id: new ObjectId(young) }))!.claimedAt).toBeInstanceOf(Date);
    const sick = await doctor();
    expect(sick.code).toBe(1);
    expect(sick.report.attachments).toMatchObject({
      healthy: false,
      orphanedBytes: { count: 1, chunks: 2, examples: [String(lost)] },
      detached: { count: 1, examples: [id] },
    });
    const fixed = await doctor('--fix');
    expect(fixed.report.attachments.removed).toEqual({ orphanedBytes: 1, detached: 1 });
    expect(fixed.report.attachments.after.healthy).toBe(true);
    expect(await leftovers(db, id)).toEqual(NOTHING);
    expect(await db.collection('attachment_files.chunks').countDocuments({ files_id: lost })).toBe(0);
    // Everything else is untouched, the young claim too.
    expect(await leftovers(db, healthy)).toEqual({ metadata: 1, files: 1, chunks: 1 });
    expect(await leftovers(db, young)).toEqual({ metadata: 1, files: 1, chunks: 1 });
  });
});

describeBuilt('attachments with short TTLs', () => {
  let servers: ServerProcess[] = [];
  let client: MongoClient;
  let db: Db;
  let url: string;
  beforeAll(async () => {
    // Two processes: both sweep every second; removals are conditional, so they never clash.
    const started = await startServers(2, 'attachments_ttl', {
      ATTACHMENT_LINK_TTL: '2',
      ATTACHMENT_UPLOAD_TTL: '2',
      ATTACHMENT_UNREFERENCED_TTL: '3',
      ATTACHMENT_SWEEP_INTERVAL: '1',
      LOG_LEVEL: 'info',
    });
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
    const ticket = (await gql<any>(url, CREATE, { input: ticketInput({ attachmentIds: [id] }) })).body.data
      .createTicket;
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
    // The sweep takes the upload, removes the bytes (chunks, then the file document), then the metadata: wait for all of it.
    await until(() => leftovers(db, orphan), isNothing, 'the orphan swept');
    expect(await leftovers(db, orphan)).toEqual(NOTHING);
    // One removal, by whichever process got there first.
    const removed = () =>
      servers
        .flatMap((s) => [...s.out().matchAll(/"removed":(\d+)/g)].map((m) => Number(m[1])))
        .reduce((x, y) => x + y, 0);
    // The log line follows the round's deletes: wait for it, then it must not be more.
    await until(
      async () => removed(),
      (n) => n >= expiredUploads + 1,
      "the sweeps' log lines",
      20_000,
    );
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

/** A GET that reads the status and headers, then takes no byte until `resume` is called. */
function stalledDownload(
  url: string,
): Promise<{ status: number; resume(): Promise<{ bytes: number; complete: boolean }> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      resolve({
        status: res.statusCode ?? 0,
        resume: () =>
          new Promise((done) => {
            let bytes = 0;
            res.on('data', (d: Buffer) => (bytes += d.length));
            res.on('error', () => undefined);
            res.once('close', () => done({ bytes, complete: res.complete }));
            res.resume();
          }),
      });
    });
    req.on('error', reject);
  });
}

/** A PUT that sends `first` bytes of `body`, waits for `between`, then the rest (if the server still listens): its status, or 0 when cut off. */
function splitPut(url: string, body: Buffer, first: number, between: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'PUT', agent: false, headers: { 'content-length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.write(body.subarray(0, first));
    void between().then(() => {
      if (!req.destroyed) req.end(body.subarray(first));
    });
  });
}

describeBuilt('attachments against hostile clients (budgets on, short idle timeout)', () => {
  let server: ServerProcess;
  let client: MongoClient;
  let db: Db;
  let url: string;
  const MiB = 1024 * 1024;
  const IDLE = 2;
  const CAP = 150 * MiB;
  const from = (address: string) => ({ 'x-forwarded-for': address });
  beforeAll(async () => {
    const started = await startServers(1, 'attachments_hostile', {
      RATE_LIMIT: 'on',
      TRUST_PROXY: 'true',
      ATTACHMENT_IDLE_TIMEOUT: String(IDLE),
      ATTACHMENT_MAX_DOWNLOADS_PER_ADDRESS: '2',
      ATTACHMENT_MAX_PENDING_BYTES: String(CAP),
      ATTACHMENT_UNREFERENCED_TTL: '900',
      ATTACHMENT_SWEEP_INTERVAL: '2',
      LOG_LEVEL: 'info',
    });
    [server] = started.servers;
    url = server.url;
    client = await MongoClient.connect(started.uri);
    db = client.db();
    for (const c of ['attachments', 'attachment_files.files', 'attachment_files.chunks'])
      await db.collection(c).deleteMany({});
  });
  afterAll(async () => {
    const code = await server?.stop();
    await client?.close();
    expect(code).toBe(0);
  });

  it('a download whose client stops reading is cut off after the idle timeout; one address holds at most 2 downloads', async () => {
    // 8 MiB: more than the sockets' buffers take, so a client that stops reading stalls the server's writes.
    const bytes = Buffer.alloc(8 * MiB, 'a');
    const u = (
      await gql<{ createUpload: Upload }>(
        url,
        UPLOAD,
        { f: 'big.txt', t: 'text/plain', s: bytes.length },
        from('10.0.0.3'),
      )
    ).body.data!.createUpload;
    expect((await fetch(u.uploadUrl, { method: 'PUT', body: asBody(bytes) })).status).toBe(201);
    const created = await gql<any>(
      url,
      CREATE,
      { input: ticketInput({ attachmentIds: [u.attachmentId] }) },
      from('10.0.0.3'),
    );
    const link = created.body.data.createTicket.timeline[0].attachments[0].url as string;
    const stalled = [await stalledDownload(link), await stalledDownload(link)];
    expect(stalled.map((d) => d.status)).toEqual([200, 200]);
    const third = await fetch(link);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBeTruthy();
    await new Promise((r) => setTimeout(r, (IDLE + 2) * 1000));
    for (const d of stalled) {
      const got = await d.resume();
      expect(got.complete).toBe(false);
      expect(got.bytes).toBeLessThan(bytes.length);
    }
    // Cut off, they no longer count: a reader that keeps reading gets every byte.
    const full = await fetch(link);
    expect(full.status).toBe(200);
    expect(sha(await full.arrayBuffer())).toBe(sha(bytes));
  });

  it('a PUT that stalls is cut off after the idle timeout and leaves nothing stored', async () => {
    const body = Buffer.alloc(200_000, 'b');
    const u = (
      await gql<{ createUpload: Upload }>(
        url,
        UPLOAD,
        { f: 'slow.txt', t: 'text/plain', s: body.length },
        from('10.0.0.3'),
      )
    ).body.data!.createUpload;
    const started = Date.now();
    // The rest would come after 3 idle timeouts: the server must not wait that long.
    const status = await splitPut(u.uploadUrl, body, 50_000, () => new Promise((r) => setTimeout(r, IDLE * 3000)));
    expect([0, 408]).toContain(status);
    expect(Date.now() - started).toBeLessThan(IDLE * 3000 + 2000);
    await until(() => leftovers(db, u.attachmentId), isNothing, 'the stalled upload removed', 20_000);
  });

  it('an upload removed while its bytes arrive (a sweep) is 410 at the end and its bytes go too', async () => {
    const body = Buffer.alloc(600_000, 'c');
    const u = (
      await gql<{ createUpload: Upload }>(
        url,
        UPLOAD,
        { f: 'raced.txt', t: 'text/plain', s: body.length },
        from('10.0.0.3'),
      )
    ).body.data!.createUpload;
    const _id = new ObjectId(u.attachmentId);
    const status = await splitPut(u.uploadUrl, body, 300_000, async () => {
      await until(
        async () => (await db.collection('attachments').findOne({ _id }))?.state,
        (state) => state === 'receiving',
        'the upload receiving',
        1_500,
      );
      expect((await db.collection('attachments').deleteOne({ _id })).deletedCount).toBe(1);
    });
    expect(status).toBe(410);
    await until(() => leftovers(db, u.attachmentId), isNothing, 'the raced upload removed', 20_000);
  });

  it('the sweep removes more than 100 stale uploads in one round, and leaves an upload still arriving', async () => {
    const ago = (s: number) => new Date(Date.now() - s * 1000);
    const stale = (createdAt: Date, state = 'stored') => ({
      _id: new ObjectId(),
      filename: 'old.txt',
      contentType: 'text/plain',
      size: 1,
      state,
      byToken: false,
      createdAt,
      uploadExpiresAt: createdAt,
    });
    const arriving = stale(ago(1000), 'receiving'); // past the 900 s but inside the upload window plus a PUT's deadline
    const abandoned = stale(ago(4000), 'receiving');
    const removedSoFar = () => [...server.out().matchAll(/"removed":(\d+)/g)].map((m) => Number(m[1]));
    const before = removedSoFar().length;
    await db
      .collection('attachments')
      .insertMany([...Array.from({ length: 250 }, () => stale(ago(1000))), arriving, abandoned]);
    await until(
      () => db.collection('attachments').countDocuments({ createdAt: { $lt: ago(950) } }),
      (left) => left === 1,
      'the stale uploads swept',
    );
    expect(await db.collection('attachments').findOne({ _id: arriving._id })).toBeTruthy();
    await until(
      async () =>
        removedSoFar()
          .slice(before)
          .reduce((x, y) => x + y, 0),
      (n) => n >= 251,
      "the sweeps' log lines",
      5_000,
    );
    const rounds = removedSoFar().slice(before);
    expect(rounds.reduce((x, y) => x + y, 0)).toBe(251);
    expect(Math.max(...rounds)).toBeGreaterThan(100);
    await db.collection('attachments').deleteOne({ _id: arriving._id });
  });

  it('a sweep that died after taking an upload: a later sweep removes its bytes and record; a fresh claim is left to its sweep', async () => {
    // What a sweep leaves when its process dies between taking an upload and removing it: the record `removing`, the bytes all there.
    const ago = (s: number) => new Date(Date.now() - s * 1000);
    const taken = (removingAt: Date) => ({
      _id: new ObjectId(),
      filename: 'taken.txt',
      contentType: 'text/plain',
      size: 300_000,
      state: 'removing',
      byToken: false,
      createdAt: ago(4000),
      uploadExpiresAt: ago(4000),
      removingAt,
    });
    const dead = taken(ago(3600));
    const busy = taken(new Date());
    const bucket = new GridFSBucket(db, { bucketName: 'attachment_files' });
    for (const doc of [dead, busy])
      await new Promise((done, fail) =>
        bucket
          .openUploadStreamWithId(doc._id, doc.filename)
          .once('finish', done)
          .once('error', fail)
          .end(Buffer.alloc(doc.size, 't')),
      );
    // The bytes are all there before the records are: a sweep may take the records as soon as they exist.
    expect(await leftovers(db, String(dead._id))).toEqual({ metadata: 0, files: 1, chunks: 2 });
    await db.collection('attachments').insertMany([dead, busy]);
    await until(() => leftovers(db, String(dead._id)), isNothing, "the dead sweep's upload removed");
    // A plain stale upload made now is swept by a later round; by then the other has been read and left: its sweep may still be at work.
    const { removingAt: _never, ...plain } = taken(new Date());
    const later = { ...plain, state: 'stored' };
    await db.collection('attachments').insertOne(later);
    await until(() => leftovers(db, String(later._id)), isNothing, 'a later round');
    expect(await leftovers(db, String(busy._id))).toEqual({ metadata: 1, files: 1, chunks: 2 });
    await bucket.delete(busy._id);
    await db.collection('attachments').deleteOne({ _id: busy._id });
  });

  it('createUpload charges bytes: 100 MiB an hour per address, then RATE_LIMITED; other addresses go on', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await gql<any>(url, UPLOAD, { f: `f${i}.png`, t: 'image/png', s: 10 * MiB }, from('10.0.0.1'));
      expect(r.body.errors).toBeUndefined();
    }
    const over = await gql<any>(url, UPLOAD, { f: 'one-more.png', t: 'image/png', s: 1024 }, from('10.0.0.1'));
    expect(codeOf(over)).toBe('RATE_LIMITED');
    expect(
      (await gql<any>(url, UPLOAD, { f: 'other.png', t: 'image/png', s: 1024 }, from('10.0.0.2'))).body.errors,
    ).toBeUndefined();
  });

  it('createUpload is SERVICE_UNAVAILABLE once unreferenced uploads promise more than ATTACHMENT_MAX_PENDING_BYTES', async () => {
    const [sum] = await db
      .collection('attachments')
      .aggregate<{ bytes: number }>([
        { $match: { eventId: { $exists: false } } },
        { $group: { _id: null, bytes: { $sum: '$size' } } },
      ])
      .toArray();
    const fits = Math.floor((CAP - sum.bytes) / (10 * MiB));
    expect(fits).toBeGreaterThan(0);
    for (let i = 0; i < fits; i++)
      expect(
        (await gql<any>(url, UPLOAD, { f: 'p.png', t: 'image/png', s: 10 * MiB }, from(`10.0.1.${i}`))).body.errors,
      ).toBeUndefined();
    const refused = await gql<any>(url, UPLOAD, { f: 'p.png', t: 'image/png', s: 10 * MiB }, from('10.0.2.1'));
    expect(codeOf(refused)).toBe('SERVICE_UNAVAILABLE');
  });

  it('a download with a bad bearer token costs the address like an invalid document', async () => {
    const path = `${new URL(url).origin}/attachments/${new ObjectId().toHexString()}`;
    for (let i = 0; i < 30; i++)
      expect(
        (await fetch(path, { headers: { authorization: 'Bearer not-a-token-0123456789abcdef', ...from('10.0.0.4') } }))
          .status,
      ).toBe(403);
    const refused = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...from('10.0.0.4') },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(refused.status).toBe(429);
    const other = await gql<any>(url, '{ __typename }', {}, from('10.0.0.5'));
    expect(other.body.errors).toBeUndefined();
  });
});
