// Whether a webhook is still as its sender read it (the same epoch,
// enabled, not deleted): updateWebhook and replayWebhook raise the epoch,
// deleteWebhook removes it. One read at a time, started as an attempt goes
// out (so the sender does not wait for it) and awaited before the next
// attempt; a new one is started once the last is WATCH_MS old. A change
// that answered before a read started stops the sender before the attempt
// after that read: one delivery after the change for a receiver slower than
// WATCH_MS, the deliveries of about WATCH_MS for a faster one (a read per
// delivery would cost a fast webhook as much as its sends).
import type { Types } from 'mongoose';
import { READ_TIMEOUT_MS, webhooksCollection } from './durable';

/** At most one look this often per busy webhook. */
export const WATCH_MS = 25;

export class VersionWatch {
  private pending?: Promise<boolean>;
  private lookedAt = -Infinity;

  constructor(
    private readonly id: Types.ObjectId,
    private readonly epoch: number,
  ) {}

  /** False once the last look found the webhook changed, disabled or deleted. */
  async current(): Promise<boolean> {
    const looked = this.pending;
    this.pending = undefined;
    return looked ? looked : true;
  }

  /** Look again (once the last look is WATCH_MS old), while the next attempt is out. A failed read stops nothing: the run's fenced write still does. */
  look(now = performance.now()): void {
    if (now - this.lookedAt < WATCH_MS) return;
    this.lookedAt = now;
    this.pending = webhooksCollection()
      .findOne({ _id: this.id }, { maxTimeMS: READ_TIMEOUT_MS })
      .then(
        (w) => !!w && w.enabled && (w.epoch ?? 0) === this.epoch,
        () => true,
      );
  }
}
