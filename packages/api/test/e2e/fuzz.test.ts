// Property-based: random and adversarial values in every input field and
// every header we read. Never a 5xx, never an INTERNAL_SERVER_ERROR, never
// an unhandled rejection; the process stays healthy.
import fc from 'fast-check';
import {
  CREATE,
  RESOLVE,
  RESPOND,
  STATUS,
  TIMELINE,
  TRACK,
  agent,
  startTestApi,
  type GqlResult,
  type TestApi,
} from '../support/api';

let api: TestApi;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  api = await startTestApi('fuzz', { RATE_LIMIT: 'on', TRUST_PROXY: 'true' });
});
afterAll(async () => {
  await api.stop();
  process.off('unhandledRejection', onUnhandled);
});

const RUNS = Number(process.env.FUZZ_RUNS) || 60;
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\uFFFF',
  '\uD800',
  '𝕏'.repeat(300),
  '$gt',
  '{"$ne":null}',
  '.*',
  '^(a+)+$',
  'TKT-',
  'tkt-00001',
  'TKT-99999999999999999999',
  '<script>alert(1)</script>',
  "'; DROP TABLE tickets; --",
  '../../etc/passwd',
  'a@b',
  '@example.com',
  'x'.repeat(20_001),
  '__proto__',
  'constructor',
);
const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), nasty);
// Any JSON value, to hit variable coercion with the wrong types too.
const anything = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(text, text, { maxKeys: 3 }),
);

function acceptable(r: GqlResult): boolean {
  const codes = (r.body.errors ?? []).map((e) => e.extensions?.code);
  return r.status < 500 && !codes.includes('INTERNAL_SERVER_ERROR') && JSON.stringify(r.body).indexOf('    at ') < 0;
}

describe('fuzzing', () => {
  it('createTicket: any value in any field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            customerEmail: anything,
            customerName: anything,
            subject: anything,
            description: anything,
            priority: anything,
            source: anything,
            chatId: anything,
            chatSignature: anything,
            idempotencyKey: anything,
          },
          { requiredKeys: [] },
        ),
        async (input) => {
          const r = await api.gql(
            CREATE,
            { input },
            { 'x-forwarded-for': `10.${Math.floor(Math.random() * 250)}.0.1` },
          );
          expect(acceptable(r)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('public lookups and agent operations: any arguments', async () => {
    const ops = [TRACK, TIMELINE];
    const agentOps = [RESPOND, STATUS, RESOLVE];
    await fc.assert(
      fc.asyncProperty(fc.nat(4), anything, anything, anything, anything, async (op, n, e, m, s) => {
        const query = op < 2 ? ops[op] : agentOps[op - 2];
        const vars = op < 2 ? { n, e } : { n, m, r: m, s, note: e };
        const r = await api.gql(query, vars, { ...agent, 'x-forwarded-for': '10.1.1.1' });
        expect(acceptable(r)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('headers we read: authorization, x-request-id, x-forwarded-for, content-type, accept', async () => {
    const headerValue = fc.oneof(
      fc.string({ maxLength: 200 }).filter((v) => /^[\t\x20-\x7e]*$/.test(v)),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        'bearer x y',
        'Basic Zm9vOmJhcg==',
        '1.1.1.1, 2.2.2.2',
        'unknown',
        '::1',
        'application/json; charset=utf-16',
        '*/*',
        '',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        headerValue,
        headerValue,
        headerValue,
        headerValue,
        headerValue,
        async (authorization, rid, xff, ctype, accept) => {
          const res = await fetch(api.url, {
            method: 'POST',
            headers: {
              authorization,
              'x-request-id': rid,
              'x-forwarded-for': xff,
              'content-type': ctype || 'application/json',
              accept,
            },
            body: JSON.stringify({ query: TRACK, variables: { n: 'TKT-00001', e: 'a@example.com' } }),
          });
          expect(res.status).toBeLessThan(500);
          const id = res.headers.get('x-request-id')!;
          expect(id).toMatch(/^[A-Za-z0-9._-]{1,64}$/); // an unsafe caller id is replaced, never echoed
          await res.arrayBuffer();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('raw bodies: random bytes never crash the server', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        const res = await fetch(api.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: bytes,
        });
        expect(res.status).toBeLessThan(500);
        await res.arrayBuffer();
      }),
      { numRuns: RUNS },
    );
  });

  it('is still healthy, with no unhandled rejection', async () => {
    expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
    expect(unhandled).toEqual([]);
  });
});
