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
