// A process whose clock disagrees with the database's by more than a
// minute says so at start and in /healthz (webhook receivers refuse
// signatures from a clock more than 5 minutes off); /healthz's status
// keeps its meaning. The skewed process runs under libfaketime.
import {
  faketimeAvailable,
  serverBuilt,
  skewedClock,
  startServer,
  startServers,
  type ServerProcess,
} from '../support/processes';
import { AGENT_TOKEN } from '../support/api';

type Health = { status: string; clockSkewSeconds: number | null; warnings?: string[] };
const health = async (s: ServerProcess): Promise<{ code: number; body: Health }> => {
  const res = await fetch(s.url.replace(/\/graphql$/, '/healthz'));
  return { code: res.status, body: (await res.json()) as Health };
};

const run = serverBuilt && faketimeAvailable();
if (!run)
  console.warn(
    `skipped: the clock-skew test needs ${serverBuilt ? 'libfaketime' : 'the build (npm test runs it first)'}`,
  );

(run ? describe : describe.skip)('a process clock two minutes behind the database', () => {
  let onTime: ServerProcess;
  let behind: ServerProcess;
  beforeAll(async () => {
    const started = await startServers(1, 'clock_skew', {}, 120_000);
    onTime = started.servers[0];
    behind = await startServer(
      { MONGODB_URI: started.uri, AGENT_TOKENS: AGENT_TOKEN, RATE_LIMIT: 'off', ...skewedClock('-2m') },
      120_000,
    );
  }, 300_000);
  afterAll(async () => {
    if (onTime) expect(await onTime.stop()).toBe(0);
    if (behind) expect(await behind.stop()).toBe(0);
  });

  it('is warned about at start and reported by /healthz, whose status stays ok', async () => {
    const skewed = await health(behind);
    expect(skewed.code).toBe(200);
    expect(skewed.body.status).toBe('ok');
    expect(skewed.body.clockSkewSeconds).toBeGreaterThan(-125);
    expect(skewed.body.clockSkewSeconds).toBeLessThan(-115);
    expect(skewed.body.warnings).toEqual([expect.stringMatching(/clock is 1\d\d(\.\d+)? s behind the database's/)]);
    const logged = behind
      .out()
      .split('\n')
      .filter((l) => l.includes('behind the database'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0])).toMatchObject({ level: 40, clockSkewSeconds: expect.any(Number) });
  });

  it('a process on time: no warning, a skew of a second or two at most', async () => {
    const fine = await health(onTime);
    expect(fine.body.status).toBe('ok');
    expect(Math.abs(fine.body.clockSkewSeconds!)).toBeLessThan(3);
    expect(fine.body.warnings).toBeUndefined();
    expect(onTime.out()).not.toContain('behind the database');
  });
});
