// A bounded wait for a condition: tests never assert on timing, they poll.

/** Reads until `ok` holds of what was read, then answers it; past `ms`, fails naming `what` and the last read. */
export async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  ms = 60_000,
  everyMs = 200,
): Promise<T> {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, everyMs))) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${ms} ms): ${shown(v)}`);
  }
}

const shown = (v: unknown) => {
  try {
    return String(JSON.stringify(v)).slice(0, 300);
  } catch {
    return String(v);
  }
};
