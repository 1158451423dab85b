// Live updates across API processes: one reader of the change feed per
// process (not one per subscriber), handing each new change to the local
// subscribers. A mutation answered by any process reaches every process's
// subscribers once its event is in the feed (about a second).
// Every wait here is on the monotonic clock (performance.now): a step of
// the wall clock neither stalls nor hurries a subscriber.
import { slowConsumer } from '../errors/api-errors';
import { decodeFeedCursor } from '../feed/feed-cursor';
import type { FeedChange, FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import { AsyncQueue } from './async-queue';

const POLL_MS = 250;
/** Changes read from the feed at once. */
const READ_PAGE = 500;
/**
 * Before each page, the hub waits for every subscriber's queue to have room
 * for it. A subscriber that keeps reading (each change may cost it a
 * database read, `ticket { timeline }`, and a busy host makes those slow)
 * is waited for: it comes through a backlog of any size, only slowed. One
 * that took nothing for this long has stopped reading, and is ended.
 */
export const ROOM_WAIT_MS = 2_000;
/** However it keeps reading, a subscriber that needs longer than this for one page's room is ended too: everyone else's live updates wait for it. */
export const ROOM_WAIT_LIMIT_MS = 30_000;
const ROOM_CHECK_MS = 10;
/** With nobody listening, the position is refreshed this often (a new subscriber may get up to this much of the past). */
const IDLE_CHECK_MS = 1_000;

/**
 * A feed found ending before this process's position is taken for a
 * restored backup only once it still does on re-reads this long apart:
 * right after an election a new primary may briefly not show the last
 * batches, and jumping back then would send subscribers duplicates.
 */
export const RESTORE_CONFIRM_MS = 5_000;

/** Changes (or ticket states) one subscriber may have waiting before it is ended with SLOW_CONSUMER. */
export const DEFAULT_QUEUE_LIMIT = 1_000;

export type ChangeListener = (change: FeedChange) => void;
/** How many values a listener's subscriber has waiting (for one that queues every change it is handed). */
export type Backlog = () => number;

export interface FeedHubOptions {
  /** SUBSCRIPTION_QUEUE_LIMIT: the most values one subscription may have waiting. */
  queueLimit?: number;
}

export class FeedHub {
  private readonly listeners = new Map<ChangeListener, Backlog | undefined>();
  private cursor: number | undefined;
  /** The event at the cursor (its tag, feed-cursor.ts), when this hub read it. */
  private cursorTag: string | undefined;
  /** Since when (monotonic ms) the feed has been seen ending before the cursor. */
  private shorterSince: number | undefined;
  private timer?: NodeJS.Timeout;
  private running = false;
  private lastIdleCheck = 0;

  private slowEnded = 0;

  constructor(
    private readonly feed: FeedService,
    private readonly log: Logger,
    private readonly options: FeedHubOptions = {},
  ) {}

  /** Start reading after the newest change: subscribers get what happens from now on. */
  async start(): Promise<void> {
    this.cursor = await this.feed.latestPosition();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  private readonly open = new Set<AsyncQueue<unknown>>();

  /**
   * A subscription's stream: bounded (a subscriber whose socket stops taking
   * what is sent is ended with SLOW_CONSUMER, its queue dropped), ended by
   * closeAll() when the process stops; `cleanup` runs when it ends.
   */
  openStream<T>(cleanup: () => void): AsyncQueue<T> {
    const limit = this.options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    const overflow = () => {
      this.slowEnded++;
      this.log.warn(
        { limit },
        'live updates: a subscriber fell behind by more than the bound; ended it (SLOW_CONSUMER)',
      );
      return slowConsumer(limit);
    };
    const stream: AsyncQueue<T> = new AsyncQueue<T>(
      () => {
        this.open.delete(stream as AsyncQueue<unknown>);
        cleanup();
      },
      limit,
      overflow,
    );
    this.open.add(stream as AsyncQueue<unknown>);
    return stream;
  }

  /** Open subscriptions in this process. */
  get openCount(): number {
    return this.open.size;
  }

  /** The most values any open subscription has waiting right now (at most the bound). */
  get longestQueue(): number {
    let longest = 0;
    for (const s of this.open) longest = Math.max(longest, s.size);
    return longest;
  }

  /** Subscriptions this process ended with SLOW_CONSUMER. */
  get slowConsumersEnded(): number {
    return this.slowEnded;
  }

  /** Complete every open subscription (graphql-ws sends "complete" for each). */
  closeAll(): void {
    for (const s of [...this.open]) s.end();
  }

  /** `backlog`: for a listener that queues each change (ticketChanged), so each page waits for room in its queue. */
  subscribe(listener: ChangeListener, backlog?: Backlog): () => void {
    this.listeners.set(listener, backlog);
    return () => this.listeners.delete(listener);
  }

  /**
   * Until every queue has room for `count` more, or no queue without room
   * is still being read (it took nothing for ROOM_WAIT_MS), or
   * ROOM_WAIT_LIMIT_MS passed: then the page is handed on, and a queue still
   * without room overflows (that subscriber, and only it, is ended with
   * SLOW_CONSUMER). Judged by what each queue did, not by how fast: on a
   * busy host every reader is slow. (Monotonic time: a clock step changes nothing.)
   */
  private async roomFor(count: number): Promise<void> {
    const limit = this.options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    const started = performance.now();
    const lastTaken = new Map<Backlog, { size: number; at: number }>();
    for (;;) {
      const now = performance.now();
      let reading = false;
      for (const backlog of this.listeners.values()) {
        if (backlog === undefined) continue;
        const size = backlog();
        if (size + count <= limit) continue;
        const last = lastTaken.get(backlog);
        const at = !last || size < last.size ? now : last.at;
        lastTaken.set(backlog, { size, at });
        if (now - at < ROOM_WAIT_MS) reading = true;
      }
      if (!reading || now - started >= ROOM_WAIT_LIMIT_MS) return;
      await new Promise((r) => setTimeout(r, ROOM_CHECK_MS));
    }
  }

  private async poll(): Promise<void> {
    if (this.running || this.cursor === undefined) return;
    this.running = true;
    try {
      const checkEnd = performance.now() - this.lastIdleCheck >= IDLE_CHECK_MS;
      if (!this.listeners.size) {
        // Nobody listens in this process: keep the position current (one
        // small query a second) without reading the changes and their
        // tickets. A subscriber who came meanwhile gets everything after the
        // old position.
        if (!checkEnd) return;
        this.lastIdleCheck = performance.now();
        const latest = await this.feed.latestPosition();
        if (!this.listeners.size) {
          if (latest >= this.cursor) {
            this.shorterSince = undefined;
            this.cursor = latest;
            this.cursorTag = undefined;
          } else this.feedShorter(latest);
          return;
        }
      }
      // Never more at once than a subscription may hold: a burst alone does not end a reader that keeps up.
      const page = Math.min(READ_PAGE, this.options.queueLimit ?? DEFAULT_QUEUE_LIMIT);
      for (let more = true; more;) {
        const read = await this.feed.changesAfter(this.cursor, page);
        if (read.end !== this.cursor)
          this.cursorTag = read.endCursor ? decodeFeedCursor(read.endCursor)?.tag : undefined;
        this.cursor = read.end;
        more = read.more;
        if (read.changes.length) await this.roomFor(read.changes.length);
        for (const change of read.changes) for (const l of [...this.listeners.keys()]) l(change);
      }
      if (checkEnd) {
        this.lastIdleCheck = performance.now();
        const latest = await this.feed.latestPosition();
        if (latest < this.cursor) this.feedShorter(latest);
        else if (this.shorterSince !== undefined) await this.feedBack();
      }
    } catch (err) {
      this.log.warn(
        { err: { name: (err as Error).name, message: (err as Error).message } },
        'live updates: reading the feed failed; retrying',
      );
    } finally {
      this.running = false;
    }
  }

  /**
   * The feed ends before this reader's position: a new primary not showing
   * the last batches yet, or a database restored from a backup. Only when
   * it still does after RESTORE_CONFIRM_MS of re-reads is it a restore: go
   * on from its new end, loudly, rather than wait silently until it grows
   * past the old one.
   */
  private feedShorter(latest: number): void {
    const now = performance.now();
    this.shorterSince ??= now;
    if (now - this.shorterSince < RESTORE_CONFIRM_MS) return;
    this.cutBack(latest, 'ends before');
  }

  /**
   * The feed reaches this reader's position again after it was seen
   * shorter: a lagging primary caught up, unless the event at the position
   * is not the one this hub read there (restored, then grown again).
   */
  private async feedBack(): Promise<void> {
    this.shorterSince = undefined;
    if (this.cursor === undefined || !this.cursor || this.cursorTag === undefined) return;
    const tag = await this.feed.eventTagAt(this.cursor);
    if (tag !== null && tag !== this.cursorTag)
      this.cutBack(await this.feed.latestPosition(), 'holds another event at');
  }

  private cutBack(latest: number, how: string): void {
    this.log.warn(
      { position: this.cursor, feedEnd: latest },
      `live updates: the change feed ${how} this process's position (database restored from a backup?); going on from its end`,
    );
    this.cursor = latest;
    this.cursorTag = undefined;
    this.shorterSince = undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
