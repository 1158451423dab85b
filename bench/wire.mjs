// A TCP proxy between an API process and its engine that counts the
// commands sent (the wire protocol's OP_MSG: `find tickets`, `update
// webhooks`...) and how long the engine took to answer each kind (from the
// request to its reply, matched by request id): where a background loop's
// or a sender's database time goes. The API is started with `proxy.uri`.
import net from 'node:net';

/** `find tickets`, `update webhooks`...: an OP_MSG's command (its body's first key) and the collection it names. */
export function commandOf(msg) {
  if (msg.length < 22 || msg.readInt32LE(12) !== 2013 || msg[20] !== 0) return 'other';
  let at = 26; // header (16), flags (4), section kind (1), document length (4), then the first element's type
  const type = msg[25];
  const nameEnd = msg.indexOf(0, at);
  const name = msg.toString('utf8', at, nameEnd);
  if (type !== 2) return name;
  at = nameEnd + 1;
  const len = msg.readInt32LE(at);
  return `${name} ${msg.toString('utf8', at + 4, at + 3 + len)}`;
}

/** Split a stream of wire messages, calling `each(message)` for every whole one. */
function splitter(each) {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
      const len = pending.readInt32LE(0);
      each(pending.subarray(0, len));
      pending = pending.subarray(len);
    }
  };
}

export async function countingProxy(uri) {
  const target = new URL(uri.replace(/^mongodb:/, 'http:'));
  /** kinds: command -> { n, ms } (ms: the engine's answer time, summed). */
  const proxy = { messages: 0, kinds: new Map() };
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port), target.hostname);
    const asked = new Map();
    inbound.on(
      'data',
      splitter((msg) => {
        proxy.messages++;
        const kind = commandOf(msg);
        asked.set(msg.readInt32LE(4), { kind, at: performance.now() });
        const k = proxy.kinds.get(kind) ?? { n: 0, ms: 0 };
        k.n++;
        proxy.kinds.set(kind, k);
        outbound.write(msg);
      }),
    );
    outbound.on(
      'data',
      splitter((msg) => {
        const q = asked.get(msg.readInt32LE(8));
        if (q) {
          asked.delete(msg.readInt32LE(8));
          proxy.kinds.get(q.kind).ms += performance.now() - q.at;
        }
        inbound.write(msg);
      }),
    );
    const end = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('close', end).on('error', end);
    outbound.on('close', end).on('error', end);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  proxy.uri = uri.replace(`${target.hostname}:${target.port}`, `127.0.0.1:${server.address().port}`);
  proxy.close = () => server.close();
  /** What was counted since `since` (a snapshot), most time first: [kind, n, ms]. */
  proxy.snapshot = () => new Map([...proxy.kinds].map(([k, v]) => [k, { ...v }]));
  proxy.since = (before) =>
    [...proxy.kinds]
      .map(([k, v]) => [k, v.n - (before.get(k)?.n ?? 0), v.ms - (before.get(k)?.ms ?? 0)])
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[2] - a[2] || b[1] - a[1]);
  return proxy;
}
