// A sender's deliveries written behind its sends. The contract's order
// needs each event sent only after the one before it was delivered (its
// 2xx), not after it was written down: so while one run of deliveries is
// being written (records, then the cursor: dispatcher.ts), the next events
// go out, and the run grows by what was delivered meanwhile; a run is
// started once it is `everyMs` old (or `max` long), so a fast sender makes
// a few writes a second, not one a delivery (on jongodb each write costs the
// collection's size, whatever it holds). Runs are
// written one after the other (each cursor write expects the cursor the
// one before it left); a slow database makes runs longer instead of
// deliveries slower. Once a write fails (the lease may have passed, the
// webhook was replayed, updated or deleted) `ok` tells the sender to stop;
// the runs already made are still handed to `write`, which writes down what
// it still may (delivery-settle.ts: the records of a run a replay voided).
// What was delivered and not written is sent again by the next holder (the
// same webhook-id: at least once), as are at most `max` deliveries a crash
// leaves unwritten. After a write that threw, nothing more is written.
export class DeliveryRun<T> {
  private run: T[] = [];
  private chain: Promise<boolean> = Promise.resolve(true);
  private writing = 0;
  /** When the oldest delivery not being written yet was added (performance.now()). */
  private since = 0;
  private failed = false;
  private error: unknown;

  constructor(
    /** Write one run down; false when it was not (the sender stops). */
    private readonly write: (run: T[]) => Promise<boolean>,
    /** Deliveries waiting to be written at most: a run this long starts, or the sender waits for the write in flight. */
    private readonly max: number,
    /** A run is started once its oldest delivery is this old (when no write is in flight). */
    private readonly everyMs: number,
  ) {}

  /** False once a write failed: send nothing more. */
  get ok(): boolean {
    return !this.failed;
  }

  /** Deliveries not written down yet (being written included). */
  get size(): number {
    return this.run.length;
  }

  /** A delivery made: written with its run (started once old or long enough, and no write in flight). */
  async add(item: T): Promise<void> {
    if (!this.run.length) this.since = performance.now();
    this.run.push(item);
    const due = this.run.length >= this.max || performance.now() - this.since >= this.everyMs;
    if (due && !this.writing) this.start();
    else if (this.run.length >= this.max) await this.chain;
  }

  /** Everything written down; false when some was not. A write's error is thrown here. */
  async flush(): Promise<boolean> {
    if (this.run.length) this.start();
    const ok = await this.chain;
    if (this.error !== undefined) {
      const err = this.error;
      this.error = undefined;
      throw err;
    }
    return ok;
  }

  private start(): void {
    const run = this.run.splice(0);
    this.writing++;
    this.chain = this.chain.then(async (ok) => {
      try {
        if (this.error !== undefined) return false;
        const done = await this.write(run);
        if (!done) this.failed = true;
        return ok && done;
      } catch (err) {
        this.failed = true;
        this.error = err;
        return false;
      } finally {
        this.writing--;
      }
    });
  }
}
