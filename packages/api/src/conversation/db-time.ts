// The database's time, for what mail stores as a time to compare later
// (retryAt, the caps' hour): every process reads the same clock, so
// hosts whose clocks disagree still agree on when a retry is due. MongoDB
// tells its time in `hello`; the embedded engine only through an upserted
// ObjectId (http/health.ts, good to about a second). Measured once a
// minute as this process's offset; while the database never told, this
// process's clock stands in.
import mongoose from 'mongoose';
import { clockSkewSeconds } from '../http/health';

const MEASURE_EVERY_MS = 60_000;
let offsetMs: number | null = null;
let measuredAt = Number.NEGATIVE_INFINITY;
let inFlight: Promise<void> | undefined;

async function measure(): Promise<void> {
  try {
    offsetMs = (await clockSkewSeconds(mongoose.connection.db as never)) * 1000;
  } catch {
    // Not told this time: the last offset (or none) stands.
  } finally {
    measuredAt = performance.now();
  }
}

/** The database's time now, as near as this process knows it. */
export async function databaseNow(): Promise<Date> {
  if (performance.now() - measuredAt >= MEASURE_EVERY_MS) {
    inFlight ??= measure().finally(() => (inFlight = undefined));
    // The first time, wait for it; later, the last offset serves while it is measured again.
    if (offsetMs === null) await inFlight;
  }
  return new Date(Date.now() - (offsetMs ?? 0));
}
