// A page a turn ran out of time on is sent from by the very next turn only:
// the next lease (nobody held the webhook between), the same epoch, and
// while young (its tickets were read with it).
import { keptPageUsable, PAGE_KEEP_MS, type KeptPage } from '../../src/webhooks/kept-page';
import type { FeedChange } from '../../src/feed/feed.service';

const change = (seq: number) => ({ seq }) as FeedChange;
const page: KeptPage = { fence: 4, epoch: 2, readAt: 10_000, changes: [change(7), change(8)], end: 8, more: false };

describe('keptPageUsable', () => {
  it('the very next lease, the same epoch, a young page with events past the cursor: used', () => {
    expect(keptPageUsable(page, { fence: 5, epoch: 2, cursor: 7 }, 10_000 + PAGE_KEEP_MS)).toBe(true);
  });

  it('a later lease (someone held the webhook between, or this process took it again much later): read again', () => {
    expect(keptPageUsable(page, { fence: 6, epoch: 2, cursor: 7 }, 10_100)).toBe(false);
    expect(keptPageUsable(page, { fence: 4, epoch: 2, cursor: 7 }, 10_100)).toBe(false);
  });

  it('an old page (its tickets may have changed since it was read): read again', () => {
    expect(keptPageUsable(page, { fence: 5, epoch: 2, cursor: 7 }, 10_000 + PAGE_KEEP_MS + 1)).toBe(false);
  });

  it('an update or replay since (epoch), nothing past the cursor, or no page: read again', () => {
    expect(keptPageUsable(page, { fence: 5, epoch: 3, cursor: 7 }, 10_100)).toBe(false);
    expect(keptPageUsable(page, { fence: 5, epoch: 2, cursor: 8 }, 10_100)).toBe(false);
    expect(keptPageUsable(undefined, { fence: 5, epoch: 2, cursor: 0 }, 10_100)).toBe(false);
  });
});
