// A push-fed async iterator: what a subscription hands graphql-ws. Values
// pushed before they are read wait in order, at most `limit` of them: a
// reader that falls further behind (its socket does not take what is sent)
// is failed with `overflow()` rather than let the queue grow. end()
// finishes it (graphql-ws then sends "complete"); fail(error) finishes it
// with an error (graphql-ws sends "error"); return() (the client left)
// runs the cleanup.
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly values: T[] = [];
  private readonly waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void }[] = [];
  private ended = false;
  private failure?: Error;

  constructor(
    private readonly onClose: () => void = () => {},
    private readonly limit = Infinity,
    private readonly overflow: () => Error = () => new Error('subscriber too slow'),
  ) {}

  /** Values waiting for the reader. */
  get size(): number {
    return this.values.length;
  }

  push(value: T): void {
    if (this.ended) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve({ value, done: false });
    else if (this.values.length >= this.limit) this.fail(this.overflow());
    else this.values.push(value);
  }

  /** No more values: readers get what is queued, then the end. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onClose();
    for (const w of this.waiting.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** End at once with an error: what is queued is dropped (its memory freed), the reader gets the error next. */
  fail(error: Error): void {
    if (this.ended) return;
    this.values.length = 0;
    this.failure = error;
    const waiters = this.waiting.splice(0);
    this.end();
    for (const w of waiters) w.reject(error);
    if (waiters.length) this.failure = undefined;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.values.length) return Promise.resolve({ value: this.values.shift()!, done: false });
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.values.length = 0;
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
