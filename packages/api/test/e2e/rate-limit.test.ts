// Default budgets per client IP: RATE_LIMITED with retryAfter and an HTTP
// Retry-After header once a budget is spent; other budgets unaffected.
import { CREATE, TRACK, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';
import { BUDGETS } from '../../src/http/rate-limit';

let api: TestApi;
beforeAll(async () => { api = await startTestApi('ratelimit', { RATE_LIMIT: 'on' }); });
afterAll(async () => { await api.stop(); });

describe('rate limits', () => {
  it('limits creation per client and says when to retry', async () => {
    const results = [];
    for (let i = 0; i < BUDGETS.create + 2; i++) results.push(await api.gql(CREATE, { input: ticketInput() }));
    expect(results.slice(0, BUDGETS.create).filter((r) => r.body.errors)).toEqual([]);
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
    const many = Array.from({ length: BUDGETS.lookup + 1 }, (_, i) => `t${i}: trackTicket(ticketNumber: "TKT-00001", email: "a@example.com") { id }`).join('\n');
    const r = await api.gql(`{ ${many} }`);
    expect(codeOf(r)).toBe('RATE_LIMITED');
  });
});
