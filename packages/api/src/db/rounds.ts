// Background work done in rounds by one process: a round every `intervalMs`
// and at once when kicked, never two at a time; a failed round is logged
// (no customer data: its error's name and message) and the next one tries
// again. Who does the work across processes is the round's business (a
// Lease: customers/sweep-lease.model.ts).
//
// Idle back-off (`idleMaxMs`): a round that says it found nothing to do
// (returns false) doubles the wait before the next, up to idleMaxMs; a
// round that did something, a failed one, or a kick (this process made
// work) brings it back to intervalMs. Every process asks the database at
// least every idleMaxMs, so what another process left (a stopped holder's
// job) is still found within that.
import type { Logger } from '../logging/logger';
import { outsideRequest } from '../telemetry/tracing';

/** The wait after a round: back to the interval after work, doubled (up to the most) after an idle one. */
export function nextWait(current: number, intervalMs: number, idleMaxMs: number, idle: boolean): number {
  return idle ? Math.max(intervalMs, Math.min(idleMaxMs, current * 2)) : intervalMs;
}

export class Rounds {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private halted = false;
  private wait: number;

  constructor(
    /** For the log: what the rounds do. */
    private readonly name: string,
    private readonly intervalMs: number,
    /** One round; `false` when it found nothing to do (the next waits longer, see idleMaxMs). */
    private readonly round: () => Promise<unknown>,
    private readonly log: Logger,
    /** The longest wait between idle rounds (default: no back-off). */
    private readonly idleMaxMs: number = intervalMs,
  ) {
    this.wait = intervalMs;
  }

  /** Whether stop() was called: a long round checks it between steps. */
  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.kick();
  }

  /**
   * A round now, or right after the one running (work that came in during it is not left for the timer); ends any back-off.
   * Often called by a request that made work: the rounds are not that request's (its id would tag every later round's logs
   * and database commands), so they run outside it.
   */
  kick(): void {
    this.wait = this.intervalMs;
    outsideRequest(() => this.run());
  }

  private run(): void {
    if (this.halted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.round()
      .then(
        (did) => {
          this.wait = nextWait(this.wait, this.intervalMs, this.idleMaxMs, did === false);
        },
        (err: unknown) => {
          this.wait = this.intervalMs;
          this.log.warn(
            { err: { name: (err as Error).name, message: (err as Error).message } },
            `${this.name}: round failed; retrying on the next round`,
          );
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.run();
        } else if (!this.halted) {
          this.timer = setTimeout(() => this.run(), this.wait);
          this.timer.unref();
        }
      });
  }

  /** No more rounds; waits for the one running. */
  async stop(): Promise<void> {
    this.halted = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
