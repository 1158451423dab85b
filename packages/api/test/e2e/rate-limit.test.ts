// Default budgets per client IP: RATE_LIMITED with retryAfter and an HTTP
// Retry-After header once a budget is spent; other budgets unaffected.
import { CREATE, TRACK, codeOf, withoutCost, startTestApi, ticketInput, type TestApi } from '../support/api';
import { BUDGETS } from '../../src/http/rate-limit';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('ratelimit', { RATE_LIMIT: 'on' });
});
afterAll(async () => {
  await api.stop();
});

describe('rate limits', () => {
  it('limits creation per client and says when to retry', async () => {
    const results = [];
    for (let i = 0; i < BUDGETS.create.points + 2; i++) results.push(await api.gql(CREATE, { input: ticketInput() }));
    expect(results.slice(0, BUDGETS.create.points).filter((r) => r.body.errors)).toEqual([]);
    const limited = results.at(-1)!;
    expect(limited.status).toBe(429);
    expect(codeOf(limited)).toBe('RATE_LIMITED');
    const retryAfter = limited.body.errors![0].extensions.retryAfter;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('retry-after')).toBe(String(retryAfter));
    // Lookups have a budget of their own.
    expect(codeOf(await api.gql(TRACK, { n: 'TKT-00001', e: 'a@example.com' }))).toBeUndefined();
  });

  it('counts every aliased lookup in one request', async () => {
    // Three aliased lookups (the most one request may hold) cost three points each time.
    const three = (r: number) =>
      [1, 2, 3]
        .map((i) => `t${i}: trackTicket(ticketNumber: "TKT-${r}${i}", email: "a@example.com") { id }`)
        .join('\n');
    const requests = Math.floor((BUDGETS.lookup.points - 1) / 3); // one point went on the check above
    for (let r = 0; r < requests; r++) expect(codeOf(await api.gql(`{ ${three(r + 10)} }`))).toBeUndefined();
    expect(codeOf(await api.gql(`{ ${three(99)} }`))).toBe('RATE_LIMITED');
  });

  it('bounds failed lookups of one ticket number across many client addresses', async () => {
    const proxied = await startTestApi('ratelimit_proxy', { RATE_LIMIT: 'on', TRUST_PROXY: 'true' });
    try {
      // Each address stays under its own per-number budget; together they spend the number's.
      const perAddress = BUDGETS.guessFromAddress.points - 1;
      const probe = (i: number) =>
        proxied.gql(
          TRACK,
          { n: 'TKT-00042', e: `guess${i}@example.com` },
          { 'x-forwarded-for': `203.0.113.${Math.floor(i / perAddress)}` },
        );
      for (let i = 0; i < BUDGETS.guessFromAll.points; i++) expect(codeOf(await probe(i))).toBeUndefined();
      // Spent: a stranger's lookup runs nothing and answers as a miss (hostile-clients.test.ts covers the owner).
      expect(
        withoutCost(
          (await proxied.gql(TRACK, { n: 'TKT-00042', e: 'other@example.com' }, { 'x-forwarded-for': '203.0.113.200' }))
            .body,
        ),
      ).toEqual({ data: { trackTicket: null } });
      // Other tickets are unaffected.
      expect(
        codeOf(
          await proxied.gql(TRACK, { n: 'TKT-00043', e: 'a@example.com' }, { 'x-forwarded-for': '203.0.113.201' }),
        ),
      ).toBeUndefined();
    } finally {
      await proxied.stop();
    }
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY says so', async () => {
    // Spoofed addresses do not buy a fresh budget: creation was spent above from this client.
    const r = await api.gql(CREATE, { input: ticketInput() }, { 'x-forwarded-for': '198.51.100.7' });
    expect(codeOf(r)).toBe('RATE_LIMITED');
  });
});
