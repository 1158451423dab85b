// Background loops that find nothing to do ask the database less often
// (db/rounds.ts, the change feed's sweeps), and come back to their full
// pace the moment work appears: a kick (a write in this process) or a round
// that found some. Fake timers and played rounds: no database, no races.
import { nextWait, Rounds } from '../../src/db/rounds';
import { FeedSequencer, GATHER_MS, SWEEP_IDLE_MAX_MS, SWEEP_MS } from '../../src/feed/sequencer';
import { createLogger } from '../../src/logging/logger';
import { currentRequestId, withRequestId } from '../../src/telemetry/tracing';

const log = createLogger('silent');

/** The times (fake ms since the start) at which `fn` was called. */
function timed<T>(result: () => T) {
  const at: number[] = [];
  const t0 = Date.now();
  const fn = jest.fn(async () => {
    at.push(Date.now() - t0);
    return result();
  });
  return { fn, at };
}

describe('idle back-off', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('nextWait doubles after an idle round up to the most, and goes back to the interval after work', () => {
    expect(nextWait(1_000, 1_000, 5_000, true)).toBe(2_000);
    expect(nextWait(4_000, 1_000, 5_000, true)).toBe(5_000);
    expect(nextWait(5_000, 1_000, 5_000, true)).toBe(5_000);
    expect(nextWait(5_000, 1_000, 5_000, false)).toBe(1_000);
    // No back-off asked for: the interval, always.
    expect(nextWait(1_000, 1_000, 1_000, true)).toBe(1_000);
  });

  it('Rounds: idle rounds wait 2, 4, then at most 5 s; a kick and a round with work bring back the interval', async () => {
    let work = false;
    const { fn, at } = timed(() => work);
    const rounds = new Rounds('test', 1_000, fn, log, 5_000);
    rounds.start();
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(17_000);
    expect(at).toEqual([0, 2_000, 6_000, 11_000, 16_000]);
    // Work made in this process (at 17 s): a round at once, and every second while there is work.
    work = true;
    rounds.kick();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(at.slice(5)).toEqual([17_000, 18_000, 19_000]);
    work = false;
    await jest.advanceTimersByTimeAsync(3_000);
    expect(at.slice(8)).toEqual([20_000, 22_000]);
    await rounds.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(at).toHaveLength(10);
  });

  it('Rounds kicked by a request run outside it: no later round carries its id (logs, database comments)', async () => {
    const ids: (string | undefined)[] = [];
    const rounds = new Rounds(
      'test',
      1_000,
      async () => {
        ids.push(currentRequestId());
        return true;
      },
      log,
    );
    withRequestId('a-request', () => rounds.kick());
    withRequestId('another-request', () => rounds.kick()); // while the first round runs: the next one at once
    await jest.advanceTimersByTimeAsync(2_000);
    await rounds.stop();
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(ids.filter((id) => id !== undefined)).toEqual([]);
  });

  it('Rounds without idleMaxMs keep the interval; a failed round does too', async () => {
    const { fn, at } = timed(() => false);
    const rounds = new Rounds('test', 1_000, fn, log);
    rounds.start();
    await jest.advanceTimersByTimeAsync(3_000);
    expect(at).toEqual([0, 1_000, 2_000, 3_000]);
    await rounds.stop();
    const failing = timed(() => {
      throw new Error('down');
    });
    const again = new Rounds('test', 1_000, failing.fn, log, 5_000);
    again.start();
    await jest.advanceTimersByTimeAsync(3_000);
    expect(failing.at).toEqual([0, 1_000, 2_000, 3_000]);
    await again.stop();
  });

  it('the feed sequencer sweeps every SWEEP_MS, backs off to SWEEP_IDLE_MAX_MS while sweeps claim nothing, and a nudge or a claim ends it', async () => {
    let claim = 0;
    const { fn, at } = timed(() => claim);
    const claimed = jest.fn();
    const s = new FeedSequencer(log, fn, undefined, claimed);
    s.start(); // a nudge: the first round after GATHER_MS
    await jest.advanceTimersByTimeAsync(GATHER_MS);
    expect(at).toEqual([GATHER_MS]);
    // Idle: the gaps double from SWEEP_MS up to the most.
    await jest.advanceTimersByTimeAsync(60_000);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(gaps.slice(0, 4)).toEqual([2 * SWEEP_MS, 4 * SWEEP_MS, SWEEP_IDLE_MAX_MS, SWEEP_IDLE_MAX_MS]);
    expect(Math.max(...gaps)).toBe(SWEEP_IDLE_MAX_MS);
    expect(claimed).not.toHaveBeenCalled();
    // A write in this process: a round after GATHER_MS, then sweeps at SWEEP_MS again.
    const before = at.length;
    s.nudge();
    await jest.advanceTimersByTimeAsync(GATHER_MS);
    expect(at).toHaveLength(before + 1);
    await jest.advanceTimersByTimeAsync(2 * SWEEP_MS);
    expect(at[before + 1] - at[before]).toBe(2 * SWEEP_MS); // that round claimed nothing: backing off from SWEEP_MS
    // Another process's write found by a sweep: claimed, the readers told, and the pace is SWEEP_MS again.
    claim = 3;
    await jest.advanceTimersByTimeAsync(4 * SWEEP_MS);
    expect(claimed).toHaveBeenCalled();
    claim = 0;
    const n = at.length;
    await jest.advanceTimersByTimeAsync(SWEEP_MS);
    expect(at).toHaveLength(n + 1);
    await s.stop();
  });
});
