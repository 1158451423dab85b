// When the change feed's sequencer claims: a nudge waits GATHER_MS so the
// writes of that moment share one batch (the cost is per batch), and writes
// made while a round runs gather for the next round instead of each
// starting one. Fake timers and a played round: no database, no races.
import { FeedSequencer, GATHER_MS } from '../../src/feed/sequencer';
import { MAX_BATCH } from '../../src/feed/feed-batch.model';
import { createLogger } from '../../src/logging/logger';

const log = createLogger('silent');

/** A round the test finishes by hand, returning how many events it claimed. */
function playedRounds() {
  const pending: Array<(n: number) => void> = [];
  const round = jest.fn(() => new Promise<number>((resolve) => pending.push(resolve)));
  return {
    round,
    finish: async (n: number) => {
      pending.shift()!(n);
      await jest.advanceTimersByTimeAsync(0);
    },
  };
}

describe('FeedSequencer rounds', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits GATHER_MS after a nudge, and nudges in that time share the round', async () => {
    const { round, finish } = playedRounds();
    const s = new FeedSequencer(log, round);
    s.nudge();
    await jest.advanceTimersByTimeAsync(GATHER_MS - 1);
    s.nudge();
    s.nudge();
    expect(round).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(round).toHaveBeenCalledTimes(1);
    await finish(3); // not a full batch: everything pending was claimed
    await jest.advanceTimersByTimeAsync(GATHER_MS * 5);
    expect(round).toHaveBeenCalledTimes(1);
    await s.stop();
  });

  it('gathers writes made during a round for one later round, not one round each', async () => {
    const { round, finish } = playedRounds();
    const s = new FeedSequencer(log, round);
    s.nudge();
    await jest.advanceTimersByTimeAsync(GATHER_MS);
    for (let i = 0; i < 10; i++) s.nudge(); // requests answered while the round runs
    await finish(1);
    expect(round).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(GATHER_MS - 1);
    expect(round).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(round).toHaveBeenCalledTimes(2);
    await finish(10);
    await jest.advanceTimersByTimeAsync(GATHER_MS * 5);
    expect(round).toHaveBeenCalledTimes(2);
    await s.stop();
  });

  it('goes straight on after a full batch (more may wait) and after a lost race, a few times', async () => {
    const { round, finish } = playedRounds();
    const s = new FeedSequencer(log, round);
    s.nudge();
    await jest.advanceTimersByTimeAsync(GATHER_MS);
    await finish(MAX_BATCH);
    expect(round).toHaveBeenCalledTimes(2);
    await finish(-1); // another process claimed first
    expect(round).toHaveBeenCalledTimes(3);
    await finish(0);
    await jest.advanceTimersByTimeAsync(GATHER_MS * 5);
    expect(round).toHaveBeenCalledTimes(3);
    s.nudge();
    await jest.advanceTimersByTimeAsync(GATHER_MS);
    for (let i = 0; i < 6; i++) await finish(-1);
    // Five retries after the first lost race, then it leaves the rest to the next sweep.
    expect(round).toHaveBeenCalledTimes(9);
    await s.stop();
  });
});
