// The database goes away under a running API and comes back: requests get
// SERVICE_UNAVAILABLE within seconds, /healthz says 503, and the same
// process recovers without a restart.
import pino from 'pino';
import { CREATE, TRACK, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';
import { ControlledEngine, jongodbBinary } from '../support/engine';
import { TokenService } from '../../src/tokens/token.service';

const describeWithEngine = jongodbBinary ? describe : describe.skip;
if (!jongodbBinary) console.warn('skipped: database-outage needs the jongodb binary to stop and restart an engine');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    if (await check().catch(() => false)) return Date.now() - t0;
    await sleep(100);
  }
  throw new Error(`condition not met within ${limitMs} ms`);
}

describeWithEngine('database outage', () => {
  const engine = new ControlledEngine();
  let api: TestApi;
  const lines: string[] = [];
  beforeAll(async () => {
    await engine.start();
    api = await startTestApi(
      'outage',
      { DB_TIMEOUT_MS: '1500' },
      engine.uri,
      pino(
        { level: 'warn' },
        {
          write: (l: string) => {
            lines.push(l);
          },
        },
      ),
    );
  });
  afterAll(async () => {
    await api?.stop();
    await engine.stop();
  });

  it('answers SERVICE_UNAVAILABLE quickly while down and recovers by itself', async () => {
    expect((await api.gql(CREATE, { input: ticketInput() })).body.errors).toBeUndefined();
    await engine.stop();

    const to503 = await until(async () => (await fetch(`${api.base}/healthz`)).status === 503, 10_000);
    const t0 = Date.now();
    const [created, tracked] = await Promise.all([
      api.gql(CREATE, { input: ticketInput() }),
      api.gql(TRACK, { n: 'TKT-00001', e: 'a@example.com' }),
    ]);
    const answeredIn = Date.now() - t0;
    for (const r of [created, tracked]) {
      expect(codeOf(r)).toBe('SERVICE_UNAVAILABLE');
      expect(r.body.errors![0].extensions.retryAfter).toBeGreaterThan(0);
      expect(JSON.stringify(r.body)).not.toMatch(/Mongo|ECONNREFUSED|stack|127\.0\.0\.1/);
    }
    expect(answeredIn).toBeLessThan(8_000);
    // Logged for operators, with the request id of each request.
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'database unavailable');
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    for (const w of warnings) expect(w.requestId).toEqual(expect.any(String));

    await engine.start(); // same port
    const toRecovery = await until(async () => (await fetch(`${api.base}/healthz`)).status === 200, 30_000);
    const r = await api.gql(CREATE, { input: ticketInput() });
    expect(r.body.errors).toBeUndefined();
    console.log(
      `database outage: /healthz 503 after ${to503} ms, requests answered in ${answeredIn} ms while down, recovered ${toRecovery} ms after the engine returned`,
    );
  });

  it('answers SERVICE_UNAVAILABLE (503) for a named token it cannot check while down', async () => {
    await until(async () => (await fetch(`${api.base}/healthz`)).status === 200, 30_000);
    const { token } = await new TokenService([]).create('outage-reader', ['tickets:read']);
    await engine.stop();
    await until(async () => (await fetch(`${api.base}/healthz`)).status === 503, 10_000);
    // Never used, so not cached: checking it needs the database.
    const r = await api.gql('{ tickets(first: 1) { totalCount } }', {}, { authorization: `Bearer ${token}` });
    expect(r.status).toBe(503);
    expect(codeOf(r)).toBe('SERVICE_UNAVAILABLE');
    expect(r.body.errors![0].extensions.retryAfter).toBeGreaterThan(0);
    expect(r.headers.get('retry-after')).toBe(String(r.body.errors![0].extensions.retryAfter));
    expect(JSON.stringify(r.body)).not.toMatch(/Mongo|ECONNREFUSED|stack|127\.0\.0\.1|Context creation/);
    await engine.start();
    await until(async () => (await fetch(`${api.base}/healthz`)).status === 200, 30_000); // (the engine forgot its data: the token is gone)
  });
});
