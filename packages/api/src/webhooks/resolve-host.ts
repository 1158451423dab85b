// Name resolution for one delivery attempt, inside the attempt's budget.
// c-ares (dns.Resolver) first: it runs on the event loop, so a slow name
// server delays only the attempt that asked, and it can be cancelled when
// the budget runs out. Names DNS does not answer for, short of timing out
// (/etc/hosts: "localhost"), fall back to the system resolver, which runs on libuv's small thread
// pool: at most LOOKUP_SLOTS of those at a time, so slow ones cannot
// starve the pool other work needs.
import { lookup, Resolver } from 'node:dns/promises';

export const LOOKUP_SLOTS = 2;

let lookupsRunning = 0;
const lookupQueue: (() => void)[] = [];

async function withLookupSlot<T>(work: () => Promise<T>): Promise<T> {
  if (lookupsRunning >= LOOKUP_SLOTS) await new Promise<void>((resolve) => lookupQueue.push(resolve));
  lookupsRunning++;
  try {
    return await work();
  } finally {
    lookupsRunning--;
    lookupQueue.shift()?.();
  }
}

export class ResolveTimeoutError extends Error {
  readonly code = 'ETIMEOUT';
}

function within<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        onTimeout();
        reject(new ResolveTimeoutError(`name not resolved within the attempt's ${Math.round(ms)} ms`));
      },
      Math.max(0, ms),
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const timedOut = (r: PromiseSettledResult<string[]>) =>
  r.status === 'rejected' && (r.reason as NodeJS.ErrnoException).code === 'ETIMEOUT';

/** Every address `host` has, found within `budgetMs`, or an error with a code. `servers`: other name servers than the system's (tests). */
export async function resolveHost(host: string, budgetMs: number, servers?: string[]): Promise<string[]> {
  const started = performance.now();
  const resolver = new Resolver({ timeout: Math.max(1, Math.floor(budgetMs)), tries: 1 });
  if (servers) resolver.setServers(servers);
  const answers = await within(Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]), budgetMs, () =>
    resolver.cancel(),
  );
  const found = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
  if (found.length) return found;
  if (answers.some(timedOut)) throw (answers.find(timedOut) as PromiseRejectedResult).reason;
  // DNS does not have it (or cannot be reached): maybe a local name. The slot wait counts in the budget too.
  const left = budgetMs - (performance.now() - started);
  let abandoned = false;
  const local = withLookupSlot(() =>
    abandoned ? Promise.reject(new ResolveTimeoutError('abandoned')) : lookup(host, { all: true }),
  );
  const addresses = await within(local, left, () => {
    abandoned = true;
  });
  return addresses.map((a) => a.address);
}
