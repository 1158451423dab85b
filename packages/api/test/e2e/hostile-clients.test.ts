// Hostile clients, round two: budgets and the lookups cap are charged for
// what an operation RUNS (aliases in fragments, nested fragments, decoy
// operations, variable defaults, a subscription through a fragment), over
// HTTP and WebSocket alike; one production lockdown for both transports;
// a stranger cannot lock a customer out; broken documents are charged;
// list sizes count in the cost limit; /healthz and unknown tokens are cheap.
import { Admin } from 'mongodb';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { BUDGETS } from '../../src/http/rate-limit';
import { WS_LIMITS } from '../../src/http/subscriptions';
import { LIMITS } from '../../src/http/query-limits';
import { ApiTokenModel } from '../../src/tokens/api-token.model';
import {
  AGENT_TOKEN,
  CREATE,
  TRACK,
  agent,
  codeOf,
  withoutCost,
  startTestApi,
  ticketInput,
  type GqlResult,
  type TestApi,
} from '../support/api';

type WsResult = {
  data: unknown[];
  errors?: { message: string; extensions?: Record<string, any> }[];
  completed: boolean;
};

/** One operation over graphql-ws, from `ip` (X-Forwarded-For on the upgrade; TRUST_PROXY is on): what came back. */
async function overWs(
  url: string,
  ip: string,
  payload: { query: string; variables?: Record<string, unknown>; operationName?: string },
  token?: string,
): Promise<WsResult> {
  class FromAddress extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: { 'x-forwarded-for': ip } });
    }
  }
  const client = createWsClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: FromAddress,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  try {
    return await new Promise<WsResult>((resolve) => {
      const result: WsResult = { data: [], completed: false };
      client.subscribe(payload, {
        next: (v) => {
          if (v.errors) result.errors = v.errors as never;
          else result.data.push(v.data);
        },
        error: (e) =>
          resolve({ ...result, errors: Array.isArray(e) ? e : [{ message: String((e as Error).message ?? e) }] }),
        complete: () => resolve({ ...result, completed: true }),
      });
    });
  } finally {
    await client.dispose();
  }
}

const wsCode = (r: WsResult) => r.errors?.[0]?.extensions?.code;

let addressSeq = 0;
/** A client address no other test has used: budgets start full. */
const fresh = () => `2001:db8:${(++addressSeq).toString(16)}::1`;

const lookup = (alias: string, n: string) =>
  `${alias}: trackTicket(ticketNumber: "${n}", email: "stranger@example.com") { id }`;
const four = (tag: string) => [1, 2, 3, 4].map((i) => lookup(`${tag}${i}`, `TKT-${tag.length}${i}`));

/** Each spelling hides four lookups (one over the cap) where the old root-only count saw none or one. */
const SPELLINGS: [string, { query: string; operationName?: string; variables?: Record<string, unknown> }][] = [
  ['aliases inside a fragment', { query: `query { ...F } fragment F on Query { ${four('a').join(' ')} }` }],
  [
    'nested named fragments and inline fragments',
    {
      query: `query { ...A } fragment A on Query { ${four('n')[0]} ...B } fragment B on Query { ... on Query { ${four('n')[1]} } ...C } fragment C on Query { ${four('n').slice(2).join(' ')} }`,
    },
  ],
  [
    'the selected operation beside a decoy',
    {
      query: `query Decoy { __typename } query Real { ...F } fragment F on Query { ${four('d').join(' ')} }`,
      operationName: 'Real',
    },
  ],
  [
    'variable defaults (@include and the number)',
    {
      query: `query($on: Boolean = true, $n: String = "TKT-77777") { ...F @include(if: $on) } fragment F on Query { a: trackTicket(ticketNumber: $n, email: "x@example.com") { id } ${four('v').slice(1).join(' ')} }`,
    },
  ],
];

describe('charged for what runs', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('hostile_charge', { RATE_LIMIT: 'on', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await api.stop();
  });
  const post = (body: Record<string, unknown>, ip: string) =>
    fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  it.each(SPELLINGS)('the lookups cap sees %s, over HTTP and WebSocket', async (_name, payload) => {
    const http = await post(payload, fresh());
    expect(http.status).toBe(400);
    expect(http.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(http.body.errors[0].message).toMatch(/At most 3 ticket lookups/);
    const ws = await overWs(api.url, fresh(), payload);
    expect(wsCode(ws)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(ws.errors![0].message).toMatch(/At most 3 ticket lookups/);
  });

  it('charges only the selected operation, not a heavy decoy beside it', async () => {
    const payload = {
      query: `query Light { __typename } query Heavy { ${four('h').join(' ')} }`,
      operationName: 'Light',
    };
    expect(withoutCost((await post(payload, fresh())).body)).toEqual({ data: { __typename: 'Query' } });
    expect((await overWs(api.url, fresh(), payload)).data).toEqual([{ __typename: 'Query' }]);
  });

  it.each(['HTTP', 'WebSocket'])(
    'spends the lookup budget for lookups aliased inside fragments (%s)',
    async (transport) => {
      const ip = fresh();
      const three = (r: number) => ({
        query: `query { ...F } fragment F on Query { ... on Query { ${[1, 2, 3].map((i) => lookup(`x${i}`, `TKT-${r}${i}${transport.length}`)).join(' ')} } }`,
      });
      const run = async (r: number) =>
        transport === 'HTTP'
          ? (await post(three(r), ip)).body.errors?.[0]?.extensions?.code
          : wsCode(await overWs(api.url, ip, three(r)));
      const allowed = Math.floor(BUDGETS.lookup.points / 3);
      for (let r = 0; r < allowed; r++) expect(await run(r + 10)).toBeUndefined();
      expect(await run(99)).toBe('RATE_LIMITED');
    },
  );

  it.each(['HTTP', 'WebSocket'])(
    'the per-ticket guard sees a number that comes from a default (%s)',
    async (transport) => {
      const ip = fresh();
      const number = transport === 'HTTP' ? 'TKT-55501' : 'TKT-55502';
      const payload = {
        query: `query($n: String = "${number}", $e: String!) { trackTicket(ticketNumber: $n, email: $e) { id } }`,
        variables: { e: 'wrong@example.com' },
      };
      const run = async () =>
        transport === 'HTTP'
          ? (await post(payload, ip)).body.errors?.[0]?.extensions?.code
          : wsCode(await overWs(api.url, ip, payload));
      for (let i = 0; i < BUDGETS.guessFromAddress.points; i++) expect(await run()).toBeUndefined();
      expect(await run()).toBe('RATE_LIMITED');
    },
  );

  it('charges a subscription spelt through a fragment as a lookup of its number (WebSocket)', async () => {
    const ip = fresh();
    const payload = {
      query:
        'subscription { ...S } fragment S on Subscription { ticketUpdated(ticketNumber: "TKT-66601", email: "wrong@example.com") { id } }',
    };
    for (let i = 0; i < BUDGETS.guessFromAddress.points; i++) {
      const r = await overWs(api.url, ip, payload);
      expect(r).toEqual({ data: [], completed: true }); // unknown: ends at once, without data
    }
    expect(wsCode(await overWs(api.url, ip, payload))).toBe('RATE_LIMITED');
  });

  it('charges documents that fail to parse or validate; once spent, the address is refused before parsing', async () => {
    const ip = fresh();
    for (let i = 0; i < BUDGETS.invalid.points; i++) {
      const r = await post({ query: i % 2 ? '{ trackTicket(' : '{ nope }' }, ip);
      expect(r.status).toBe(400);
    }
    const refused = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await refused.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(wsCode(await overWs(api.url, ip, { query: '{ __typename }' }))).toBe('RATE_LIMITED');
    // Another address is unaffected; parse failures over WebSocket are charged too.
    const other = fresh();
    expect(withoutCost((await post({ query: '{ __typename }' }, other)).body)).toEqual({
      data: { __typename: 'Query' },
    });
    for (let i = 0; i < BUDGETS.invalid.points; i++)
      expect(wsCode(await overWs(api.url, other, { query: '{ broken' }))).toBe('GRAPHQL_PARSE_FAILED');
    expect((await post({ query: '{ __typename }' }, other)).status).toBe(429);
  });

  it('answers arguments that coerce for the operation but not for a directive as bad input, charged, never a 500', async () => {
    const ip = fresh();
    const body = {
      query:
        'query($v: Boolean = false) { trackTicket(ticketNumber: "TKT-00001", email: "a@example.com") @skip(if: $v) { id } }',
      variables: { v: null },
    };
    for (let i = 0; i < BUDGETS.invalid.points; i++) {
      const r = await post(body, ip);
      expect(r.status).toBe(400);
      expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    expect((await post({ query: '{ __typename }' }, ip)).status).toBe(429);
    expect(wsCode(await overWs(api.url, fresh(), body))).toBe('BAD_USER_INPUT');
  });

  it('charges a token that does not check out like an invalid document', async () => {
    const ip = fresh();
    for (let i = 0; i < BUDGETS.invalid.points; i++) {
      const forged = `Bearer tkt_${i.toString(16).padStart(16, '0')}_${'B'.repeat(43)}`;
      const r = await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, authorization: forged },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(r.status).toBe(200);
    }
    expect((await post({ query: '{ __typename }' }, ip)).status).toBe(429);
  });

  it('keys IPv6 clients by their /64', async () => {
    const [a, b, c] = ['2001:db8:ffff:1::a', '2001:db8:ffff:1::b', '2001:db8:ffff:1:1:2:3:4'];
    const guess = (ip: string) => post({ query: TRACK, variables: { n: 'TKT-64064', e: 'wrong@example.com' } }, ip);
    for (let i = 0; i < BUDGETS.guessFromAddress.points; i++)
      expect((await guess(i % 2 ? a : b)).body.errors).toBeUndefined();
    expect((await guess(c)).body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect((await guess('2001:db8:ffff:2::a')).body.errors).toBeUndefined(); // the next /64
  });

  it('counts list sizes in the cost limit, with first from a variable default', async () => {
    // A ticket with its whole timeline (each event's every field): one page of 100 fits, two do not.
    const page = (alias: string, first: string) =>
      `${alias}: tickets(first: ${first}) { edges { node { id ticketNumber timeline { id kind at message actor visibility } } } }`;
    const withToken = (query: string, variables: Record<string, unknown> = {}) =>
      fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': fresh(), ...agent },
        body: JSON.stringify({ query, variables }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect((await withToken(`{ ${page('a', '100')} }`)).body.errors).toBeUndefined();
    for (const query of [
      `{ ${page('a', '100')} ${page('b', '100')} }`,
      `query($n: Int = 100) { ${page('a', '$n')} ${page('b', '$n')} }`,
      `query { ...P } fragment P on Query { ${page('a', '100')} ${page('b', '100')} }`,
    ]) {
      const r = await withToken(query);
      expect(r.status).toBe(400);
      expect(r.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(r.body.errors[0].message).toMatch(new RegExp(`exceeds ${LIMITS.cost}`));
    }
    // The same operation with a small page from its variables is fine.
    expect(
      (await withToken(`query($n: Int = 100) { ${page('a', '$n')} ${page('b', '$n')} }`, { n: 10 })).body.errors,
    ).toBeUndefined();
  });
});

describe('one lockdown for HTTP and WebSocket (production)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('hostile_lockdown', { TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await api.stop();
  });

  it.each([
    ['__schema', '{ __schema { queryType { name } } }'],
    ['__type', '{ __type(name: "Ticket") { fields { name } } }'],
  ])('refuses introspection (%s) over both transports', async (_name, query) => {
    const http = await api.gql(query);
    expect(http.status).toBe(400);
    expect(codeOf(http)).toBe('GRAPHQL_VALIDATION_FAILED');
    const ws = await overWs(api.url, fresh(), { query });
    expect(wsCode(ws)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(ws.errors![0].message).toMatch(/introspection/i);
  });

  it('suggests no field, argument or enum value over either transport', async () => {
    const probes = [
      '{ trackTicke(ticketNumber: "TKT-1", email: "a@example.com") { id } }',
      '{ trackTicket(ticketNumbr: "TKT-1", email: "a@example.com") { id } }',
      'subscription { ticketUpdate(ticketNumber: "TKT-1", email: "a@example.com") { id } }',
    ];
    for (const query of probes) {
      const http = await api.gql(query, {}, agent);
      expect(codeOf(http)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(http.body)).not.toMatch(/Did you mean|ticketUpdated/);
      const ws = await overWs(api.url, fresh(), { query }, AGENT_TOKEN);
      expect(wsCode(ws)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(ws.errors)).not.toMatch(/Did you mean|ticketUpdated/);
    }
    const enumProbe = 'query { tickets(orderBy: CREATED) { totalCount } }';
    const r = await api.gql(enumProbe, {}, agent);
    expect(JSON.stringify(r.body)).not.toMatch(/Did you mean|CREATED_DESC|CREATED_ASC/);
  });

  it('answers introspection over both transports when INTROSPECTION=on', async () => {
    const open = await startTestApi('hostile_introspection', { INTROSPECTION: 'on' });
    try {
      const query = '{ __schema { queryType { name } } }';
      expect(withoutCost((await open.gql(query)).body)).toEqual({
        data: { __schema: { queryType: { name: 'Query' } } },
      });
      expect((await overWs(open.url, '127.0.0.1', { query })).data).toEqual([
        { __schema: { queryType: { name: 'Query' } } },
      ]);
    } finally {
      await open.stop();
    }
  });
});

describe.each(['memory', 'mongo'])('a stranger cannot lock a customer out (RATE_LIMIT_STORE=%s)', (store) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(`hostile_lockout_${store}`, {
      RATE_LIMIT: 'on',
      TRUST_PROXY: 'true',
      RATE_LIMIT_STORE: store,
    });
  });
  afterAll(async () => {
    await api.stop();
  });
  const track = (n: string, e: string, ip: string): Promise<GqlResult> =>
    api.gql(TRACK, { n, e }, { 'x-forwarded-for': ip });

  it('bounds guesses from one address, keeps the owner in from another, and says nothing of others', async () => {
    const input = ticketInput();
    const t = (await api.gql(CREATE, { input }, { 'x-forwarded-for': fresh() })).body.data!.createTicket;
    const attacker = fresh();
    // Wrong email on a real number and an unknown number: the same answer, the same budget.
    const wrong = await track(t.ticketNumber, 'guess@example.com', attacker);
    const unknown = await track('TKT-98765', 'guess@example.com', fresh());
    expect(wrong.status).toBe(unknown.status);
    expect(withoutCost(wrong.body)).toEqual(withoutCost(unknown.body));
    expect(withoutCost(wrong.body)).toEqual({ data: { trackTicket: null } });
    for (let i = 1; i < BUDGETS.guessFromAddress.points; i++)
      expect(withoutCost((await track(t.ticketNumber, `guess${i}@example.com`, attacker)).body)).toEqual({
        data: { trackTicket: null },
      });
    const spent = await track(t.ticketNumber, 'guess-more@example.com', attacker);
    expect(codeOf(spent)).toBe('RATE_LIMITED');
    expect(spent.body.data ?? null).toBeNull();
    // The owner, from anywhere else, still gets the ticket, again and again (found lookups cost no guess).
    const owner = fresh();
    for (let i = 0; i < BUDGETS.guessFromAddress.points + 2; i++)
      expect(
        (await track(t.ticketNumber, String(input.customerEmail), owner)).body.data?.trackTicket?.ticketNumber,
      ).toBe(t.ticketNumber);
    // A third party sees exactly what it saw before the attack: nothing tells it someone else looked.
    const bystander = await track(t.ticketNumber, 'guess@example.com', fresh());
    expect(withoutCost(bystander.body)).toEqual(withoutCost(wrong.body));
    // An unknown number is spent from one address the same way a known one is.
    const prober = fresh();
    for (let i = 0; i < BUDGETS.guessFromAddress.points; i++) await track('TKT-98766', `g${i}@example.com`, prober);
    expect(codeOf(await track('TKT-98766', 'g@example.com', prober))).toBe('RATE_LIMITED');
  });

  it('bounds guesses at one number from many addresses; then a stranger learns nothing and the address that found it keeps it', async () => {
    const input = ticketInput();
    const t = (await api.gql(CREATE, { input }, { 'x-forwarded-for': fresh() })).body.data!.createTicket;
    const ownerHome = fresh();
    expect(
      (await track(t.ticketNumber, String(input.customerEmail), ownerHome)).body.data?.trackTicket?.ticketNumber,
    ).toBe(t.ticketNumber);
    let ip = fresh();
    for (let i = 0; i < BUDGETS.guessFromAll.points; i++) {
      if (i % (BUDGETS.guessFromAddress.points - 1) === 0) ip = fresh();
      expect(withoutCost((await track(t.ticketNumber, `many${i}@example.com`, ip)).body)).toEqual({
        data: { trackTicket: null },
      });
    }
    // The number's failures from everyone are spent: a stranger gets the answer of
    // a wrong email, as before the attack, and nothing runs: not even the right
    // email is checked from an address that never found the ticket.
    expect(withoutCost((await track(t.ticketNumber, 'one-more@example.com', fresh())).body)).toEqual({
      data: { trackTicket: null },
    });
    expect(withoutCost((await track(t.ticketNumber, String(input.customerEmail), fresh())).body)).toEqual({
      data: { trackTicket: null },
    });
    // The address that found it before keeps finding it.
    expect(
      (await track(t.ticketNumber, String(input.customerEmail), ownerHome)).body.data?.trackTicket?.ticketNumber,
    ).toBe(t.ticketNumber);
  });
});

describe('cheap to probe', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('hostile_cheap');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await api.stop();
  });

  it('/healthz answers from a ping at most a second old, shared by concurrent requests', async () => {
    const ping = jest.spyOn(Admin.prototype, 'ping'); // counts, and calls the real ping
    await fetch(`${api.base}/healthz`); // warm
    await new Promise((r) => setTimeout(r, 1_100));
    ping.mockClear();
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${api.base}/healthz`)));
    for (let i = 0; i < 10; i++) answers.push(await fetch(`${api.base}/healthz`));
    const seconds = Math.ceil((Date.now() - t0) / 1_000); // a slow machine may cross into another second
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(ping.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(ping.mock.calls.length).toBeLessThanOrEqual(seconds);
    // Once the last ping is a second old, the next request pings again.
    const before = ping.mock.calls.length;
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
    expect(ping.mock.calls.length).toBe(before + 1);
  });

  it('stores no persisted query: automatic persisted queries are off', async () => {
    const hash = 'ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38'; // sha256 of "{__typename}"
    const send = (body: Record<string, unknown>) =>
      fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json());
    const register = await send({
      query: '{__typename}',
      extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
    });
    expect(register.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const byHash = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(byHash.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
  });

  it('remembers an unknown token id briefly: repeating it costs no database read', async () => {
    const findOne = jest.spyOn(ApiTokenModel.collection, 'findOne');
    const unknown = { authorization: `Bearer tkt_0123456789abcdef_${'A'.repeat(43)}` };
    for (let i = 0; i < 5; i++)
      expect(
        (await api.gql('{ tickets(first: 1) { totalCount } }', {}, unknown)).body.errors?.[0]?.extensions?.code,
      ).toBe('UNAUTHENTICATED');
    expect(findOne).toHaveBeenCalledTimes(1);
  });

  it('takes a subscription slot before it awaits: subscriptions sent back to back stop at the bound', async () => {
    const socket = new WebSocket(api.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const messages: { type: string; id?: string; payload?: { extensions?: { code?: string } }[] }[] = [];
    socket.on('message', (d) => messages.push(JSON.parse(String(d))));
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await new Promise((r) => socket.once('open', r));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${AGENT_TOKEN}` } }));
      await until(() => messages.some((m) => m.type === 'connection_ack'));
      const extra = 5;
      for (let i = 0; i < WS_LIMITS.subscriptionsPerConnection + extra; i++) {
        socket.send(
          JSON.stringify({
            id: String(i),
            type: 'subscribe',
            payload: { query: 'subscription { ticketChanged { cursor } }' },
          }),
        );
      }
      await until(() => messages.filter((m) => m.type === 'error').length >= extra);
      await new Promise((r) => setTimeout(r, 300)); // no more refusals trail in
      const refused = messages.filter((m) => m.type === 'error');
      expect(refused).toHaveLength(extra);
      expect(refused.every((m) => m.payload?.[0]?.extensions?.code === 'RATE_LIMITED')).toBe(true);
    } finally {
      socket.close();
    }
  });
});
