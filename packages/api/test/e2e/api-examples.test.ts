// docs/api.md's example per operation, run as written: each curl command
// (rendered by the same function the reference uses) through bash against a
// test API, in order, on a fresh database; each subscription over
// WebSocket; each SDK call names a method the SDK has.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient } from '../../../sdk/src';
import { curlOf, EXAMPLES } from '../../src/cli/api-examples';
import { ticketSchema } from '../../src/schema';
import { TokenService } from '../../src/tokens/token.service';
import { SCOPES } from '../../src/tokens/scopes';
import { startTestApi, type TestApi } from '../support/api';

const run = promisify(execFile);

let api: TestApi;
let token: string;
beforeAll(async () => {
  api = await startTestApi('api_examples', { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_DELAYS: '3600' });
  await api.reset();
  ({ token } = await new TokenService([]).create('examples', [...SCOPES]));
});
afterAll(async () => {
  await api.stop();
});

const rootFields = () => {
  const s = ticketSchema();
  return [s.getQueryType(), s.getMutationType(), s.getSubscriptionType()].flatMap((t) =>
    Object.keys(t?.getFields() ?? {}),
  );
};
const subscriptions = () => new Set(Object.keys(ticketSchema().getSubscriptionType()?.getFields() ?? {}));

/** A subscription's first value (or its quiet end), with `then` run once it is set up. */
async function firstOverWs(
  query: string,
  variables: Record<string, unknown> | undefined,
  withToken: boolean,
  then: () => Promise<unknown>,
) {
  const client = createWsClient({
    url: api.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: withToken ? { authorization: `Bearer ${token}` } : {},
  });
  try {
    return await new Promise<{ data?: any; errors?: any[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no value within 20 s: ${query}`)), 20_000);
      const stop = client.subscribe(
        { query, variables },
        {
          next: (v) => {
            clearTimeout(timer);
            stop();
            resolve(v as never);
          },
          error: (e) => {
            clearTimeout(timer);
            resolve({ errors: Array.isArray(e) ? e : [{ message: String(e) }] });
          },
          complete: () => {
            clearTimeout(timer);
            resolve({});
          },
        },
      );
      // Set up once the server acknowledged the connection and took the subscription: a change after that reaches it.
      setTimeout(() => void then().catch(reject), 500);
    });
  } finally {
    await client.dispose();
  }
}

describe('the example of every operation (docs/api.md)', () => {
  it('exists for every root field, and each SDK call names a method of the SDK', () => {
    expect(rootFields().filter((f) => !EXAMPLES[f])).toEqual([]);
    const client = createClient({ url: api.url }) as unknown as Record<string, unknown>;
    for (const [name, example] of Object.entries(EXAMPLES)) {
      const method = /client\.(\w+)\(/.exec(example.sdk ?? '')?.[1];
      if (example.sdk) expect([name, typeof client[method ?? '']]).toEqual([name, 'function']);
    }
  });

  // One test per example, in order (jest runs a file's tests one after another): the first makes the ticket the others name.
  it.each(Object.entries(EXAMPLES))(
    'runs the example of %s as written, with the answer it promises',
    async (name, example) => {
      let answer: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
      if (subscriptions().has(name)) {
        // ticketChanged waits for a change: one is made once it is set up.
        answer = await firstOverWs(example.query, example.variables, Boolean(example.token), () =>
          api.gql(EXAMPLES.createTicket.query, EXAMPLES.createTicket.variables),
        );
      } else {
        const { stdout } = await run('bash', ['-c', curlOf(example, api.url)], {
          env: { ...process.env, TOKEN: token },
        });
        answer = JSON.parse(stdout);
      }
      const codes = (answer.errors ?? []).map((e) => e.extensions?.code ?? e.message);
      expect(codes).toEqual(example.expectCode ? [example.expectCode] : []);
      if (!example.expectCode) expect(answer.data).toEqual(expect.anything());
    },
  );
});
