// The public surface as the reviews attacked it (issue 31, points 5-11):
// uploads nobody sends stop blocking others when their URL expires, and
// token holders have a pool of their own; only tickets:write tokens make
// token uploads; GET /attachments spends and honours the invalid budget;
// a process runs only so many downloads; refusals are logged as what they
// are; /metrics needs METRICS_TOKEN in production; Node's requestTimeout
// does not cut a PUT before its own deadline.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { putDeadlineMs } from '../../src/attachments/attachment.config';
import { loadConfig } from '../../src/config/config';
import { compose } from '../../src/compose';
import { createApi } from '../../src/http/app';
import { createLogger } from '../../src/logging/logger';
import { TokenService } from '../../src/tokens/token.service';
import { AGENT_TOKEN, CREATE, agent, codeOf, gql, startTestApi, ticketInput, type TestApi } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

const UPLOAD = `mutation($f: String!, $t: String!, $s: Int!) { createUpload(filename: $f, contentType: $t, size: $s) { attachmentId uploadUrl expiresAt } }`;
const asBody = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);
const BIG = 8 * 1024 * 1024;

let api: TestApi;
/** A built server on the same database: the bytes' side (file-type is ESM, which jest cannot load in-process). */
let server: ServerProcess | undefined;
const logLines: string[] = [];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  ms = 20_000,
  every = 100,
): Promise<T> {
  for (const end = Date.now() + ms; ;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const createUpload = (size: number, headers: Record<string, string> = {}, type = 'text/plain') =>
  api.gql<any>(UPLOAD, { f: 'notes.txt', t: type, s: size }, headers);

async function uploaded(bytes: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const r = await gql<any>(server!.url, UPLOAD, { f: 'notes.txt', t: 'text/plain', s: bytes.length }, headers);
  expect(r.body.errors).toBeUndefined();
  const put = await fetch(r.body.data.createUpload.uploadUrl, { method: 'PUT', body: asBody(bytes) });
  expect(put.status).toBe(201);
  return r.body.data.createUpload.attachmentId;
}

const describeBuilt = serverBuilt ? describe : describe.skip;

beforeAll(async () => {
  // The process first: startServers empties the database it shares with the in-process API.
  if (serverBuilt)
    ({
      servers: [server],
    } = await startServers(1, 'public_surface', { ATTACHMENT_MAX_DOWNLOADS: '1' }));
  api = await startTestApi(
    'public_surface',
    {
      ATTACHMENT_MAX_PENDING_BYTES: String(BIG + 4096),
      ATTACHMENT_UPLOAD_TTL: '2',
      ATTACHMENT_MAX_DOWNLOADS: '1',
      RATE_LIMIT: 'on',
      METRICS_TOKEN: '',
    },
    undefined,
    createLogger('info', {
      write: (line: string) => {
        logLines.push(line);
      },
    }),
  );
});
afterAll(async () => {
  await api.stop();
  await server?.stop();
});

describe('pending uploads', () => {
  it('an upload URL never used stops counting when it expires; token holders are not shut out by the public pool meanwhile; the refusal is logged as what it is', async () => {
    expect((await createUpload(BIG + 4096)).body.errors).toBeUndefined();
    const refused = await createUpload(1);
    expect(codeOf(refused)).toBe('SERVICE_UNAVAILABLE');
    // An agent's upload is counted in a pool of its own.
    expect((await createUpload(1, agent)).body.errors).toBeUndefined();
    // The promise's URL expires after 2 s: the public pool is free again (long before the hour unreferenced uploads get).
    await until(
      'a public upload to be accepted again',
      async () => (await createUpload(1)).body.errors === undefined,
      20_000,
      700,
    );
    const logged = logLines.join('');
    expect(logged).toContain('ATTACHMENT_MAX_PENDING_BYTES');
    expect(logged).not.toContain('database unavailable');
  });
});

describeBuilt('token uploads (a built server)', () => {
  it('are made only with tickets:write, and a token without it cannot reference them', async () => {
    const reader = bearer((await new TokenService([]).create('export-bot', ['customers:read'])).token);
    const agentUpload = await uploaded(Buffer.from("an agent's notes\n"), agent);
    const r = await gql<any>(server!.url, CREATE, { input: ticketInput({ attachmentIds: [agentUpload] }) }, reader);
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.body.errors![0].extensions.fields[0].field).toBe('attachmentIds');
    // The customers:read token's own upload is a public one: anyone's createTicket may reference it.
    const readerUpload = await uploaded(Buffer.from('public notes\n'), reader);
    const ok = await gql<any>(server!.url, CREATE, { input: ticketInput({ attachmentIds: [readerUpload] }) });
    expect(ok.body.errors).toBeUndefined();
  });
});

describeBuilt('downloads (a built server)', () => {
  it('at most ATTACHMENT_MAX_DOWNLOADS run at once in a process, from all addresses together', async () => {
    const id = await uploaded(Buffer.alloc(BIG, 'a'));
    const created = await gql<any>(
      server!.url,
      `mutation($input: CreateTicketInput!) { createTicket(input: $input) { timeline { attachments { url } } } }`,
      { input: ticketInput({ attachmentIds: [id] }) },
    );
    expect(created.body.errors).toBeUndefined();
    const url: string = created.body.data.createTicket.timeline[0].attachments[0].url;
    // A client that takes the headers and then stops reading: its download keeps running.
    const stalled = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(url, resolve).on('error', reject),
    );
    expect(stalled.statusCode).toBe(200);
    stalled.pause();
    const second = await fetch(url);
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBeTruthy();
    stalled.destroy();
    await until('the download slot to be given back', async () => {
      const r = await fetch(url, { method: 'HEAD' });
      return r.status === 200;
    });
  });
});

describe('the server', () => {
  it("does not let Node's requestTimeout cut the largest PUT before its own deadline", async () => {
    const config = loadConfig({ NODE_ENV: 'production', RATE_LIMIT: 'off', AGENT_TOKENS: AGENT_TOKEN });
    const log = createLogger('silent');
    const other = await createApi(config, log, await compose(config, log));
    try {
      await other.listen(0, '127.0.0.1');
      const deadline = putDeadlineMs(config.attachments.maxBytes, config.attachments.idleTimeoutMs);
      expect(deadline).toBeGreaterThan(300_000);
      expect(other.httpServer.requestTimeout === 0 || other.httpServer.requestTimeout > deadline).toBe(true);
      expect(other.httpServer.headersTimeout).toBeLessThanOrEqual(other.httpServer.requestTimeout || Infinity);
    } finally {
      await other.stop();
    }
  });

  it('answers /metrics to nobody in production without METRICS_TOKEN', async () => {
    const r = await fetch(`${api.base}/metrics`);
    expect(r.status).toBe(401);
    expect(await r.text()).not.toMatch(/tickets_created_total/);
    expect((await fetch(`${api.base}/metrics`, { headers: { authorization: 'Bearer ' } })).status).toBe(401);
  });
});

describe('GET /attachments with tokens that do not check out', () => {
  it('spends the invalid budget /graphql spends, and is refused with 429 once it is spent', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${api.base}/attachments/${randomBytes(12).toString('hex')}`, {
        headers: { authorization: `Bearer ${randomBytes(24).toString('hex')}` },
      });
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    expect(statuses.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    // The same budget: /graphql refuses this address too now.
    expect((await api.gql(`{ __typename }`)).status).toBe(429);
  });
});
