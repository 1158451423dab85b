// /healthz answers from a database ping at most HEALTH_MAX_AGE_MS old, and
// concurrent requests share one ping in flight: probing it as fast as one
// can costs the database at most one ping a second.
export const HEALTH_MAX_AGE_MS = 1_000;

export function cachedHealth(ping: () => Promise<boolean>, maxAgeMs = HEALTH_MAX_AGE_MS): () => Promise<boolean> {
  let last: { at: number; up: Promise<boolean> } | undefined;
  return () => {
    const now = Date.now();
    // Age counts from when the ping started, so an answer is never older than maxAgeMs plus one ping.
    if (!last || now - last.at >= maxAgeMs) last = { at: now, up: ping().catch(() => false) };
    return last.up;
  };
}

/**
 * Webhook signatures carry this process's clock, and receivers refuse
 * timestamps more than 5 minutes off: a process whose clock disagrees with
 * the database's by more than this is reported (at start and in /healthz).
 */
export const CLOCK_SKEW_WARN_SECONDS = 60;
/** What /healthz says about the clock: the skew, and a warning when it is over the threshold. */
export function clockReport(skew: number | null): { clockSkewSeconds: number | null; warnings?: string[] } {
  if (skew === null || Math.abs(skew) <= CLOCK_SKEW_WARN_SECONDS) return { clockSkewSeconds: skew };
  return {
    clockSkewSeconds: skew,
    warnings: [
      `this process's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the database's: webhook receivers refuse signatures more than 5 minutes off; fix the host's time (NTP)`,
    ],
  };
}
