// The database's time, for what processes on several hosts must agree on
// (when a mail retry is due, the hour a cap counts, which SLA targets are
// past): every process reads the same clock, whatever its host's says.
// MongoDB tells its time in `hello`; the embedded engine only through an
// upserted ObjectId, good to about a second. Also how far this process's
// clock is off (http/health.ts reports it).
import type { Db } from 'mongodb';
import type { Logger } from '../logging/logger';
import { database } from './database';

/** What the clock check needs of the database (the driver's Db). */
export interface ClockDb {
  admin(): { command(cmd: Record<string, unknown>): Promise<Record<string, unknown>> };
  collection(name: string): {
    updateOne(
      filter: Record<string, unknown>,
      update: Record<string, unknown>,
      options: { upsert: boolean },
    ): Promise<{ upsertedId: unknown }>;
    deleteOne(filter: Record<string, unknown>): Promise<unknown>;
  };
}

/**
 * This process's clock minus the database's, in seconds (positive: ahead).
 * MongoDB answers its time in `hello` (`localTime`); the embedded engine
 * does not (nor `$$NOW`), but it makes the _id of an upserted document
 * itself, and an ObjectId carries its maker's clock in seconds: one upsert
 * into `clock_probe`, removed at once. Measured against the middle of the
 * round trip; good to about a second, plenty for a one-minute threshold.
 */
export async function clockSkewSeconds(db: ClockDb, now: () => number = Date.now): Promise<number> {
  return Math.round((await measureClock(db, now)).skewMs) / 1000;
}

/** The skew in ms, and how far off that may be either way (half the round trip; and the ObjectId's second). */
async function measureClock(db: ClockDb, now: () => number): Promise<{ skewMs: number; errorMs: number }> {
  const before = now();
  const hello = await db.admin().command({ hello: 1 });
  const localTime = hello.localTime;
  if (localTime instanceof Date) {
    const after = now();
    return { skewMs: (before + after) / 2 - localTime.getTime(), errorMs: (after - before) / 2 };
  }
  const probe = db.collection('clock_probe');
  const start = now();
  const res = await probe.updateOne(
    { probe: `${process.pid}-${start}-${Math.random()}` },
    { $set: { at: new Date(start) } },
    { upsert: true },
  );
  const end = now();
  const id = res.upsertedId as { getTimestamp?: () => Date } | null;
  if (!id?.getTimestamp) throw new Error('the database told no time');
  await probe.deleteOne({ _id: id });
  // The ObjectId's seconds are truncated: its maker's clock was within [t, t + 1 s).
  return { skewMs: (start + end) / 2 - (id.getTimestamp().getTime() + 500), errorMs: 500 + (end - start) / 2 };
}

/** The database's clock is asked again at most this often (an upsert and a delete on the embedded engine). */
export const CLOCK_CHECK_MAX_AGE_MS = 60_000;

/**
 * A clock measure as last taken (null until one could be), taken again in
 * the background when older than maxAgeMs: reading it never waits on the
 * database (/healthz answers at once while the database is away).
 */
export class ClockWatch<T> {
  private known: T | null = null;
  private at = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<T | null>;

  constructor(
    private readonly measure: () => Promise<T>,
    private readonly maxAgeMs = CLOCK_CHECK_MAX_AGE_MS,
  ) {}

  /** Measure now (at start); the measure, or the last one (null: none) when the database could not tell. */
  refresh(): Promise<T | null> {
    this.at = performance.now();
    this.inFlight ??= this.measure()
      .then(
        (m) => (this.known = m),
        () => this.known,
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  current(): T | null {
    if (performance.now() - this.at >= this.maxAgeMs) void this.refresh();
    return this.known;
  }

  /** current(), but while none was ever taken, the one being taken now is waited for. */
  async latest(): Promise<T | null> {
    return this.current() ?? (this.inFlight ? await this.inFlight : null);
  }
}

// This process's offset from the database's clock, for databaseNow().
const offset = new ClockWatch(() => measureClock(database() as never, Date.now));
let warnedUnknown = false;

/**
 * The database's time as near as this process knows it: its own clock less
 * the offset measured at most a minute ago. While the database never told,
 * this process's clock stands in.
 */
export async function databaseNow(): Promise<Date> {
  return new Date(Date.now() - ((await offset.latest())?.skewMs ?? 0));
}

/**
 * The database server's time itself, asked now (`hello.localTime`), for a
 * decision taken by one process at a time. An engine that does not tell it
 * gives databaseNow() less how far its measure may be off (half a second
 * and half its round trip): a time not later than the database's, so a
 * deadline is not called missed early.
 */
export async function databaseTime(db: Db, log?: Pick<Logger, 'warn'>): Promise<Date> {
  const hello = await db.admin().command({ hello: 1 });
  if (hello.localTime instanceof Date) return hello.localTime;
  const measured = await offset.latest();
  if (measured === null && !warnedUnknown) {
    warnedUnknown = true;
    log?.warn("the database told no time (no hello.localTime, no upserted id's): this process's clock stands in");
  }
  return new Date(Date.now() - (measured ? measured.skewMs + measured.errorMs : 0));
}
