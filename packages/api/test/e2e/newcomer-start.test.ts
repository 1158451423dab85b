// What a newcomer's `npm start` gives, as a real process on its own
// embedded engine: readable log lines at a terminal (LOG_FORMAT=pretty
// stands in for the TTY), one ready line with every address, a printed
// agent sign-in that works, and `npm run tokens` reaching the same
// database without MONGODB_URI while the server runs, and not after.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gql } from '../support/api';
import { serverBuilt, spawnServer, type SpawnedServer } from '../support/processes';

const TOKENS = join(__dirname, '../../dist/cli/tokens.js');
const run = promisify(execFile);
const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: newcomer start: the API is not built (npm test builds it)');

/** The environment of a newcomer's shell: no MONGODB_URI, no AGENT_TOKENS; the engine caches of this run. */
function shell(dataDir: string): Record<string, string> {
  const keep = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => /^(MONGOMS_|TICKET_API_ENGINE_CACHE)/.test(k) && v !== undefined),
  ) as Record<string, string>;
  return { ...keep, NODE_ENV: 'development', DATA_DIR: dataDir };
}

describeBuilt("a newcomer's npm start", () => {
  let dir: string;
  let server: SpawnedServer;
  let url = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'newcomer-'));
    server = spawnServer({ ...shell(dir), LOG_FORMAT: 'pretty' });
    for (let i = 0; i < 900 && !/Your agent id: \S+\n/.test(server.out()) && server.child.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    url = /ticket-api ready at (http:\/\/\S+?\/graphql)/.exec(server.out())?.[1] ?? '';
    if (!url) throw new Error(`no ready line: ${server.out().slice(-800)}`);
  }, 120_000);

  afterAll(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const tokens = (args: string[]) =>
    run(process.execPath, [TOKENS, ...args], { env: { PATH: process.env.PATH ?? '', ...shell(dir) } }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e) => ({ code: e.code as number, out: String(e.stdout), err: String(e.stderr) }),
    );

  it('logs readable lines, and one ready line with the API, the explorer, the web client and the agent inbox', () => {
    const lines = server
      .out()
      .split('\n')
      .filter((l) => /\b(INFO|WARN)\b/.test(l));
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(() => JSON.parse(l)).toThrow();
    const ready = lines.filter((l) => l.includes('ticket-api ready at'));
    expect(ready).toHaveLength(1);
    const origin = new URL(url).origin;
    expect(ready[0]).toContain(`explorer (a browser) ${url}`);
    // The web client's addresses are listed when it is built (npm start builds it).
    if (ready[0].includes('web client')) expect(ready[0]).toContain(`agent inbox ${origin}/agent`);
  });

  it('prints an agent sign-in that works, named on the events it makes', async () => {
    const token = /API token:\s+([0-9a-f]{64})/.exec(server.out())?.[1];
    const name = /Your agent id:\s+(\S+)/.exec(server.out())?.[1];
    expect(token).toBeDefined();
    const auth = { authorization: `Bearer ${token}` };
    const created = await gql<{ createTicket: { ticketNumber: string } }>(
      url,
      'mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticketNumber } }',
      { i: { customerEmail: 'ada@example.com', subject: 'Printer jammed', description: 'Tray 2.' } },
    );
    const n = created.body.data!.createTicket.ticketNumber;
    const answered = await gql<{ respondToTicket: { timeline: { actor: string | null }[] } }>(
      url,
      'mutation($n: String!) { respondToTicket(ticketNumber: $n, message: "On it.") { timeline { actor } } }',
      { n },
      auth,
    );
    expect(answered.body.errors).toBeUndefined();
    expect(answered.body.data!.respondToTicket.timeline.at(-1)!.actor).toBe(name);
    expect(name).not.toBe('agent');
  });

  it("npm run tokens works on the running server's database without MONGODB_URI", async () => {
    const made = await tokens(['create', '--name', 'reporting', '--scopes', 'tickets:read', '--json']);
    expect(made.code).toBe(0);
    expect(made.err).toMatch(/using the \w+ of the server running as process/);
    const { token } = JSON.parse(made.out);
    const listed = await gql<{ tickets: { totalCount?: number; edges: unknown[] } }>(
      url,
      'query { tickets(first: 1) { edges { cursor } } }',
      {},
      { authorization: `Bearer ${token}` },
    );
    expect(listed.body.errors).toBeUndefined();
    expect((await tokens(['list'])).out).toMatch(/^reporting\s+tickets:read/m);
  }, 60_000);

  it('a start that fails after its engine started (the port is taken) stops that engine and leaves no engine file', async () => {
    const other = mkdtempSync(join(tmpdir(), 'newcomer-'));
    try {
      const second = spawnServer({ ...shell(other), PORT: new URL(url).port });
      expect(await second.exit).toBe(1);
      expect(second.out()).toMatch(/ticket-api failed to start: .*EADDRINUSE/);
      // Recorded once connected, removed when the start failed: the tools do not point at an engine that is gone.
      expect(second.out()).toMatch(/database engine: /);
      expect(existsSync(join(other, 'engine.json'))).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 60_000);

  it('once the server stops, npm run tokens says what to do instead of waiting', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    const after = await tokens(['list']);
    expect(after.code).toBe(2);
    expect(after.err).toMatch(/MONGODB_URI is not set and no server is running/);
  }, 60_000);
});
