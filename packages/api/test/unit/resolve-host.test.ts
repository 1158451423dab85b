// Name resolution inside a delivery attempt's budget: a name server that
// never answers costs each attempt its budget and no more, and many such
// attempts at once do not queue behind each other.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { resolveHost } from '../../src/webhooks/resolve-host';

describe('resolveHost', () => {
  let silent: dgram.Socket;
  let server: string;
  const asked: number[] = [];
  beforeAll(async () => {
    // A name server that takes every question and never answers.
    silent = dgram.createSocket('udp4');
    silent.on('message', () => asked.push(Date.now()));
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    server = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => silent.close(() => r())));

  it('gives up on a silent name server within the budget, for 20 attempts at once as for one', async () => {
    const budget = 400;
    const t0 = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => resolveHost(`hook${i}.example.com`, budget, [server])),
    );
    const took = performance.now() - t0;
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(
      results
        .map((r) => ((r as PromiseRejectedResult).reason as { code?: string }).code)
        .every((c) => c === 'ETIMEOUT'),
    ).toBe(true);
    expect(asked.length).toBeGreaterThanOrEqual(20); // every attempt really asked
    // Side by side, not one after another (20 x 400 ms would be 8 s).
    expect(took).toBeGreaterThanOrEqual(budget - 50);
    expect(took).toBeLessThan(budget * 3);
  });

  it('finds names the system knows but DNS does not (localhost) through the system resolver', async () => {
    // A name server that refuses (nothing listens): not a timeout, so the system resolver is asked.
    const closed = dgram.createSocket('udp4');
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', r));
    const refusing = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const addresses = await resolveHost('localhost', 2_000, [refusing]);
    expect(addresses.some((a) => a === '127.0.0.1' || a === '::1')).toBe(true);
  });
});
