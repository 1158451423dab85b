// GET /metrics: the contract's series with the right counts after real
// traffic, bounded labels with nothing personal in them, and METRICS_TOKEN.
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { CREATE, TRACK, metricsAuth, startTestApi, ticketInput, type TestApi } from '../support/api';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

/** The value of one series line, e.g. value(text, 'tickets_created_total'). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}

describe('GET /metrics', () => {
  it('counts operations by root field and code, tickets created, deliveries; no personal data in it', async () => {
    api = await startTestApi('metrics');
    const made = [];
    for (let i = 0; i < 2; i++)
      made.push(
        (await api.gql(CREATE, { input: ticketInput({ customerEmail: `metrics.person${i}@example.com` }) })).body.data!
          .createTicket,
      );
    for (const t of made) await api.gql(TRACK, { n: t.ticketNumber, e: t.customerEmail });
    await api.gql(TRACK, { n: made[0].ticketNumber, e: 'wrong@example.com' }); // null, still OK
    await api.gql(CREATE, { input: ticketInput({ customerEmail: 'not-an-email' }) }); // BAD_USER_INPUT
    await api.gql('{ nope }'); // validation failure, no known root field

    const r = await fetch(`${api.base}/metrics`, metricsAuth);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await r.text();
    expect(value(text, 'graphql_operation_duration_seconds_count{operation="createTicket",code="OK"}')).toBe(2);
    expect(value(text, 'graphql_operation_duration_seconds_count{operation="trackTicket",code="OK"}')).toBe(3);
    expect(
      value(text, 'graphql_operation_duration_seconds_count{operation="createTicket",code="BAD_USER_INPUT"}'),
    ).toBe(1);
    expect(
      value(text, 'graphql_operation_duration_seconds_count{operation="other",code="GRAPHQL_VALIDATION_FAILED"}'),
    ).toBe(1);
    expect(value(text, 'tickets_created_total')).toBe(2);
    expect(value(text, 'ticket_number_collisions_total')).toBe(0);
    expect(value(text, 'graphql_subscriptions_active')).toBe(0);
    expect(text).toMatch(/^# TYPE webhook_deliveries_total counter$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m); // the process's default metrics
    // Nothing personal or free-form in it.
    expect(text).not.toMatch(/@example\.com|TKT-\d+|not-an-email|nope/);
    // Every operation label is a root field of the schema or "other".
    const labels = new Set([...text.matchAll(/operation="([^"]+)"/g)].map((m) => m[1]));
    expect([...labels].sort()).toEqual(['createTicket', 'other', 'trackTicket']);
  });

  it('times operations over WebSocket too: a query, a subscription set up, a refused one', async () => {
    api = await startTestApi('metrics_ws');
    const t = (await api.gql(CREATE, { input: ticketInput({ customerEmail: 'ws.person@example.com' }) })).body.data!
      .createTicket;
    const ws = createWsClient({ url: api.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const once = (query: string, variables: Record<string, unknown>) =>
        new Promise<unknown>((resolve) => {
          const stop = ws.subscribe(
            { query, variables },
            {
              next: (v) => {
                stop();
                resolve(v);
              },
              error: resolve,
              complete: () => resolve('complete'),
            },
          );
        });
      await once(TRACK, { n: t.ticketNumber, e: t.customerEmail });
      // A subscription sends its current state first: by then it is set up.
      await once('subscription($n: String!, $e: String!) { ticketUpdated(ticketNumber: $n, email: $e) { status } }', {
        n: t.ticketNumber,
        e: t.customerEmail,
      });
      await once('subscription { ticketChanged { event { kind } } }', {}); // no token: UNAUTHENTICATED
      await once('{ nope }', {}); // validation failure
    } finally {
      await ws.dispose();
    }
    const text = await (await fetch(`${api.base}/metrics`, metricsAuth)).text();
    expect(value(text, 'graphql_operation_duration_seconds_count{operation="trackTicket",code="OK"}')).toBe(1);
    expect(value(text, 'graphql_operation_duration_seconds_count{operation="ticketUpdated",code="OK"}')).toBe(1);
    expect(
      value(text, 'graphql_operation_duration_seconds_count{operation="ticketChanged",code="UNAUTHENTICATED"}'),
    ).toBe(1);
    expect(
      value(text, 'graphql_operation_duration_seconds_count{operation="other",code="GRAPHQL_VALIDATION_FAILED"}'),
    ).toBe(1);
  });

  it('METRICS=off: no /metrics (404), the API works as before', async () => {
    api = await startTestApi('metrics_off', { METRICS: 'off' });
    expect((await api.gql(CREATE, { input: ticketInput() })).body.data?.createTicket.ticketNumber).toMatch(/^TKT-/);
    expect((await fetch(`${api.base}/metrics`)).status).toBe(404);
  });

  it('wants the METRICS_TOKEN when one is set (401 otherwise)', async () => {
    api = await startTestApi('metrics_token', { METRICS_TOKEN: 'metrics-secret-0123456789-abcdefghij' });
    expect((await fetch(`${api.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${api.base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${api.base}/metrics`, {
      headers: { authorization: 'Bearer metrics-secret-0123456789-abcdefghij' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/tickets_created_total/);
  });
});
