// The live hub reads the change feed's changes (and their tickets) only
// while someone in this process listens; otherwise it just keeps its
// position current. Fake timers and a played feed: no database.
import type { FeedChange, FeedService } from '../../src/feed/feed.service';
import { FeedHub } from '../../src/live/feed-hub';
import { createLogger } from '../../src/logging/logger';

function playedFeed() {
  let latest = 10;
  const feed = {
    latestPosition: jest.fn(async () => latest),
    changesAfter: jest.fn(async (from: number) => ({ changes: Array.from({ length: latest - from }, (_, i) => ({ seq: from + i + 1 }) as FeedChange), end: latest, more: false })),
  };
  return { feed, write: (n: number) => { latest += n; } };
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
});
