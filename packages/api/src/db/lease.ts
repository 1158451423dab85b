// A background round that one process of the deployment runs at a time:
// every `intervalMs`, if the lease is this process's (held, renewed or
// taken over), run one round; a round still running skips the tick; a
// failed round is logged and tried again on the next one; stop waits for
// the round in flight and lets the lease go. The retention sweep runs on
// it (customers/); the SLA worker (sla/) too.

/** A lease on one background job (customers/sweep-lease.model.ts's Lease). */
export interface HeldLease {
  /** Hold (or renew, or take over) the lease for one round; false when another process has it. */
  hold(): Promise<boolean>;
  /** Let go, so another process may take it on its next round. */
  release(): Promise<void>;
}

export interface LeaseRunnerOptions {
  lease: HeldLease;
  intervalMs: number;
  /** Logged when a round fails: '<what> failed; retrying on the next round'. */
  what: string;
  log: { warn(obj: object, msg: string): void };
}

export class LeaseRunner {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly options: LeaseRunnerOptions,
    /** One round; called only while this process holds the lease. */
    private readonly round: () => Promise<unknown>,
  ) {}

  /** True once stop was called: a long round checks it between its steps. */
  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** One round now if this process holds the lease (0 when another does). */
  async runOnce<T>(round: () => Promise<T>, none: T): Promise<T> {
    if (!(await this.options.lease.hold())) return none;
    return round();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.runOnce(this.round, undefined)
      .then(
        () => undefined,
        (err: unknown) =>
          this.options.log.warn(
            { err: { name: (err as Error).name, message: (err as Error).message } },
            `${this.options.what} failed; retrying on the next round`,
          ),
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.options.lease.release().catch(() => undefined);
  }
}
