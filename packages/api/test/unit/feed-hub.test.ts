// The live hub reads the change feed's changes (and their tickets) only
// while someone in this process listens; otherwise it just keeps its
// position current. Fake timers and a played feed: no database.
import type { FeedChange, FeedService } from '../../src/feed/feed.service';
import { FeedHub, RESTORE_CONFIRM_MS } from '../../src/live/feed-hub';
import { createLogger } from '../../src/logging/logger';

function playedFeed() {
  let latest = 10;
  const feed = {
    latestPosition: jest.fn(async () => latest),
    changesAfter: jest.fn(async (from: number) => ({
      changes: Array.from({ length: latest - from }, (_, i) => ({ seq: from + i + 1 }) as FeedChange),
      end: Math.max(latest, from),
      more: false,
    })),
  };
  return {
    feed,
    write: (n: number) => {
      latest += n;
    },
  };
}

describe('FeedHub', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads no changes while nobody listens, and a new listener gets what came after', async () => {
    const { feed, write } = playedFeed();
    const hub = new FeedHub(feed as unknown as FeedService, createLogger('silent'));
    await hub.start();
    write(5);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(feed.changesAfter).not.toHaveBeenCalled();
    // The position is refreshed once a second while nobody listens (plus once at start).
    expect(feed.latestPosition).toHaveBeenCalledTimes(2);

    const got: number[] = [];
    hub.subscribe((c) => got.push(c.seq));
    write(2);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(got).toEqual([16, 17]);
    hub.stop();
  });

  it('takes a shorter feed for a restored backup only when it stays shorter (a lagging primary does not send duplicates)', async () => {
    const { feed, write } = playedFeed();
    const tags = new Map<number, string>();
    const hub = new FeedHub(
      Object.assign(feed, {
        eventTagAt: jest.fn(async (seq: number) => tags.get(seq) ?? null),
      }) as unknown as FeedService,
      createLogger('silent'),
    );
    await hub.start();
    const got: number[] = [];
    hub.subscribe((c) => got.push(c.seq));
    write(2);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(got).toEqual([11, 12]);
    // A new primary briefly shows 2 batches less: nothing is read again.
    write(-2);
    await jest.advanceTimersByTimeAsync(2_000);
    write(2 + 1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(got).toEqual([11, 12, 13]);
    // A restore that stays shorter: after RESTORE_CONFIRM_MS of re-reads the hub goes on from the new end.
    write(-8);
    await jest.advanceTimersByTimeAsync(RESTORE_CONFIRM_MS - 1_500);
    write(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(got).toEqual([11, 12, 13]);
    await jest.advanceTimersByTimeAsync(RESTORE_CONFIRM_MS);
    write(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(got).toEqual([11, 12, 13, 7]);
    hub.stop();
  });

  it('waits on the monotonic clock: a wall-clock step does not change when the position is refreshed', async () => {
    const { feed } = playedFeed();
    const hub = new FeedHub(feed as unknown as FeedService, createLogger('silent'));
    await hub.start();
    await jest.advanceTimersByTimeAsync(1_000);
    const before = feed.latestPosition.mock.calls.length;
    // The wall clock jumps back an hour: the hub goes on refreshing once a second.
    jest.setSystemTime(Date.now() - 3_600_000);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(feed.latestPosition.mock.calls.length - before).toBeGreaterThanOrEqual(2);
    hub.stop();
  });
});
