// Background work done in rounds by one process: a round every `intervalMs`
// and at once when kicked, never two at a time; a failed round is logged
// (no customer data: its error's name and message) and the next one tries
// again. Who does the work across processes is the round's business (a
// Lease: customers/sweep-lease.model.ts).
import type { Logger } from '../logging/logger';

export class Rounds {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private halted = false;

  constructor(
    /** For the log: what the rounds do. */
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly round: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  /** Whether stop() was called: a long round checks it between steps. */
  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** A round now, or right after the one running (work that came in during it is not left for the timer). */
  kick(): void {
    if (this.halted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .then(
        () => undefined,
        (err: unknown) =>
          this.log.warn(
            { err: { name: (err as Error).name, message: (err as Error).message } },
            `${this.name}: round failed; retrying on the next round`,
          ),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** No more rounds; waits for the one running. */
  async stop(): Promise<void> {
    this.halted = true;
    clearInterval(this.timer);
    await this.running;
  }
}
