// Named tokens end to end: the CLI makes, lists and revokes them; the API
// checks them (scopes, revocation seen by another process within 10 s) and
// records their names as the actor of what they do.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AGENT_TOKEN,
  CREATE,
  RESPOND,
  TRACK,
  agent,
  codeOf,
  databaseUri,
  startTestApi,
  ticketInput,
  type TestApi,
} from '../support/api';
import { serverBuilt, startServer } from '../support/processes';
import { parseToken } from '../../src/tokens/token-secret';

const TOKENS = join(__dirname, '../../dist/cli/tokens.js');
const exec = promisify(execFile);
const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: token CLI tests need the build (npm test runs it first)');

const DB = 'tokens';
const uri = databaseUri(DB);

/** Run the tokens CLI: exit code, stdout, stderr. */
async function cli(
  args: string[],
  env: Record<string, string | undefined> = { MONGODB_URI: uri },
): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [TOKENS, ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

async function createToken(name: string, scopes: string): Promise<string> {
  const r = await cli(['create', '--name', name, '--scopes', scopes, '--json']);
  expect(r).toMatchObject({ code: 0 });
  const created = JSON.parse(r.out.trim());
  expect(created).toEqual({
    name,
    scopes: scopes.split(','),
    token: expect.stringMatching(/^tkt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/),
  });
  return created.token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { ticketNumber timeline { kind actor } } }`;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(DB);
});
afterAll(async () => {
  await api.stop();
});

describeBuilt('npm run tokens', () => {
  it('refuses to run without MONGODB_URI and without a running server (exit 2, one line)', async () => {
    // A DATA_DIR no server records itself in: an `npm start` running in this checkout must not count.
    const r = await cli(['list'], { DATA_DIR: mkdtempSync(join(tmpdir(), 'no-server-')) });
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/MONGODB_URI/);
  });

  it('creates a token once per name, knows its scopes, lists without secrets', async () => {
    const token = await createToken('crm-sync', 'tickets:read');
    const dup = await cli(['create', '--name', 'crm-sync', '--scopes', 'tickets:read']);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/already exists/);
    const unknown = await cli(['create', '--name', 'other', '--scopes', 'tickets:read,tickets:delete']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/unknown scope "tickets:delete"/);

    const list = await cli(['list', '--json']);
    expect(list.code).toBe(0);
    const tokens = JSON.parse(list.out);
    expect(tokens.map((t: { name: string }) => t.name)).toEqual(['crm-sync']); // "other" was not created
    expect(tokens[0]).toMatchObject({
      scopes: ['tickets:read'],
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(list.out).not.toContain(parseToken(token)!.secret);
    // The plain listing is a table, also without secrets.
    const table = await cli(['list']);
    expect(table.out).toMatch(/NAME\s+SCOPES\s+CREATED\s+LAST USED/);
    expect(table.out).not.toContain(parseToken(token)!.secret);

    // Use shows up as last use.
    expect(codeOf(await api.gql(TICKET, { n: 'TKT-00001' }, bearer(token)))).toBeUndefined();
    // Last use is written in the background, off the request's path: wait for it.
    let used = JSON.parse((await cli(['list', '--json'])).out);
    for (let i = 0; i < 50 && !used[0].lastUsedAt; i++) {
      await new Promise((r) => setTimeout(r, 100));
      used = JSON.parse((await cli(['list', '--json'])).out);
    }
    expect(used[0].lastUsedAt).toEqual(expect.any(String));
  });

  it('checks scopes: UNAUTHENTICATED without a valid token, FORBIDDEN naming the missing scope', async () => {
    const reader = await createToken('reporting', 'tickets:read');
    const writer = await createToken('chat-vendor', 'tickets:write');
    const t = (await api.gql(CREATE, { input: ticketInput() })).body.data!.createTicket;

    expect(codeOf(await api.gql(TICKET, { n: t.ticketNumber }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await api.gql(TICKET, { n: t.ticketNumber }, bearer('tkt_0123456789abcdef_' + 'x'.repeat(43))))).toBe(
      'UNAUTHENTICATED',
    );
    expect(
      codeOf(
        await api.gql(TICKET, { n: t.ticketNumber }, bearer(reader.slice(0, -1) + (reader.endsWith('A') ? 'B' : 'A'))),
      ),
    ).toBe('UNAUTHENTICATED');
    const forbidden = await api.gql(TICKET, { n: t.ticketNumber }, bearer(writer));
    expect(forbidden.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'tickets:read' });
    const cannotWrite = await api.gql(RESPOND, { n: t.ticketNumber, m: 'hello' }, bearer(reader));
    expect(cannotWrite.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'tickets:write' });
    expect(codeOf(await api.gql(RESPOND, { n: t.ticketNumber, m: 'hello' }, bearer(writer)))).toBeUndefined();
    // AGENT_TOKENS keep working, with both ticket scopes.
    expect((await api.gql(TICKET, { n: t.ticketNumber }, agent)).body.data!.ticket.ticketNumber).toBe(t.ticketNumber);
  });

  it('records the token name as actor: shown to readers, never through the public lookups', async () => {
    const both = await createToken('helpdesk-bot', 'tickets:read,tickets:write');
    const writeOnly = await createToken('writer-only', 'tickets:write');
    const input = ticketInput();
    const t = (await api.gql(CREATE, { input })).body.data!.createTicket;
    const r1 = await api.gql(
      `mutation($n: String!) { respondToTicket(ticketNumber: $n, message: "first") { timeline { kind actor } } }`,
      { n: t.ticketNumber },
      bearer(both),
    );
    expect(r1.body.data!.respondToTicket.timeline).toEqual([
      { kind: 'CREATED', actor: null },
      { kind: 'FIRST_RESPONSE', actor: 'helpdesk-bot' },
    ]);
    await api.gql(RESPOND, { n: t.ticketNumber, m: 'second' }, agent);
    // A token without tickets:read does not see actors, even in its own answer.
    const r3 = await api.gql(
      `mutation($n: String!) { respondToTicket(ticketNumber: $n, message: "third") { timeline { kind actor } } }`,
      { n: t.ticketNumber },
      bearer(writeOnly),
    );
    expect(r3.body.data!.respondToTicket.timeline.map((e: { actor: string | null }) => e.actor)).toEqual([
      null,
      null,
      null,
      null,
    ]);

    const seen = (await api.gql(TICKET, { n: t.ticketNumber }, bearer(both))).body.data!.ticket.timeline;
    expect(seen).toEqual([
      { kind: 'CREATED', actor: null },
      { kind: 'FIRST_RESPONSE', actor: 'helpdesk-bot' },
      { kind: 'AGENT_RESPONSE', actor: 'agent' },
      { kind: 'AGENT_RESPONSE', actor: 'writer-only' },
    ]);
    // The public lookup never says who, whoever asks.
    for (const headers of [{}, bearer(both)]) {
      const tracked = await api.gql(
        `query($n: String!, $e: String!) { trackTicket(ticketNumber: $n, email: $e) { timeline { kind actor } } }`,
        { n: t.ticketNumber, e: input.customerEmail },
        headers,
      );
      expect(tracked.body.data!.trackTicket.timeline.map((e: { actor: string | null }) => e.actor)).toEqual([
        null,
        null,
        null,
        null,
      ]);
    }
    expect(
      (await api.gql(TRACK, { n: t.ticketNumber, e: input.customerEmail })).body.data!.trackTicket.timeline.map(
        (e: { kind: string }) => e.kind,
      ),
    ).toEqual(['CREATED', 'FIRST_RESPONSE', 'AGENT_RESPONSE', 'AGENT_RESPONSE']);
  });

  it('a revoked token fails in every API process within 10 seconds', async () => {
    const token = await createToken('to-revoke', 'tickets:read');
    const other = await startServer({ MONGODB_URI: uri, AGENT_TOKENS: AGENT_TOKEN, RATE_LIMIT: 'off' });
    try {
      const ask = (url: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(token) },
          body: JSON.stringify({ query: TICKET, variables: { n: 'TKT-00001' } }),
        }).then((r) => r.json());
      // Both processes know (and cache) the token.
      for (const url of [api.url, other.url]) expect((await ask(url)).errors).toBeUndefined();
      expect((await cli(['revoke', '--name', 'to-revoke'])).code).toBe(0);
      const revokedAt = Date.now();
      const refusedAfter: number[] = [];
      for (const url of [api.url, other.url]) {
        for (;;) {
          const body = await ask(url);
          if (body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED') break;
          if (Date.now() - revokedAt > 15_000) throw new Error(`still accepted after 15 s by ${url}`);
          await new Promise((r) => setTimeout(r, 250));
        }
        refusedAfter.push(Date.now() - revokedAt);
      }
      console.log(`revocation seen after ${refusedAfter.join(' ms and ')} ms (two processes)`);
      expect(Math.max(...refusedAfter)).toBeLessThanOrEqual(10_000);
      // A second revoke has nothing to revoke; the name is free for a new token.
      expect((await cli(['revoke', '--name', 'to-revoke'])).code).toBe(1);
      await createToken('to-revoke', 'tickets:read');
    } finally {
      expect(await other.stop()).toBe(0);
    }
  }, 60_000);
});
