// Relay, tried with the real Relay compiler (a client no one here wrote)
// over the committed schema.graphql, and the two things it relies on over
// HTTP: connections per the Cursor Connections spec, and node(id:).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CREATE, agent, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';

const SCHEMA = path.resolve(__dirname, '../../../../schema.graphql');
const COMPILER = require.resolve('relay-compiler/cli.js');

/** An inbox that pages tickets with @connection and refetches one ticket by its global id. */
const FILES: Record<string, string> = {
  'Inbox.ts': `import { graphql } from 'react-relay';
export const inbox = graphql\`
  fragment Inbox_query on Query
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" })
  @refetchable(queryName: "InboxPaginationQuery") {
    tickets(first: $count, after: $cursor) @connection(key: "Inbox_tickets") {
      edges { node { id ...TicketRow_ticket } }
    }
  }
\`;
`,
  'TicketRow.ts': `import { graphql } from 'react-relay';
export const row = graphql\`
  fragment TicketRow_ticket on Ticket @refetchable(queryName: "TicketRowRefetchQuery") {
    id
    ticketNumber
    subject
    status
  }
\`;
`,
};

/** Runs relay-compiler over FILES against `schema`; its exit code, output and artifacts. */
async function compile(schema: string): Promise<{ code: number; output: string; artifacts: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'relay-'));
  try {
    await mkdir(path.join(dir, 'src/__generated__'), { recursive: true });
    await writeFile(path.join(dir, 'schema.graphql'), schema);
    await writeFile(
      path.join(dir, 'relay.config.json'),
      JSON.stringify({
        src: './src',
        schema: './schema.graphql',
        language: 'typescript',
        artifactDirectory: './src/__generated__',
      }),
    );
    for (const [name, text] of Object.entries(FILES)) await writeFile(path.join(dir, 'src', name), text);
    const run = await promisify(execFile)(process.execPath, [COMPILER], { cwd: dir, timeout: 60_000 }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: typeof e.code === 'number' ? e.code : 1,
        output: `${e.stdout ?? ''}${e.stderr ?? ''}`,
      }),
    );
    return { ...run, artifacts: (await readdir(path.join(dir, 'src/__generated__'))).sort() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the Relay compiler', () => {
  it('accepts @connection on tickets and @refetchable on Ticket', async () => {
    const result = await compile(await readFile(SCHEMA, 'utf8'));
    expect({ code: result.code, output: result.code ? result.output : '' }).toEqual({ code: 0, output: '' });
    expect(result.artifacts).toEqual([
      'InboxPaginationQuery.graphql.ts',
      'Inbox_query.graphql.ts',
      'TicketRowRefetchQuery.graphql.ts',
      'TicketRow_ticket.graphql.ts',
    ]);
  });

  it('refuses a PageInfo without hasPreviousPage (the check can fail)', async () => {
    const broken = (await readFile(SCHEMA, 'utf8')).replace(/^\s*hasPreviousPage: Boolean!$/m, '');
    const result = await compile(broken);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('hasPreviousPage');
  });
});

describe('Relay over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('relay');
  });
  afterAll(async () => {
    await api.stop();
  });

  const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on Ticket { ticketNumber subject } } }`;
  const PAGE = `query($first: Int, $after: String) { tickets(first: $first, after: $after) { edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

  it('node(id:) refetches a ticket by its id; null for unknown and malformed ids', async () => {
    const created = (await api.gql(CREATE, { input: ticketInput({ subject: 'Relay refetch' }) })).body.data!
      .createTicket;
    const found = await api.gql(NODE, { id: created.id }, agent);
    expect(found.body).toEqual({
      data: {
        node: { __typename: 'Ticket', id: created.id, ticketNumber: created.ticketNumber, subject: 'Relay refetch' },
      },
    });
    for (const id of ['0123456789abcdef01234567', 'not-an-id', '']) {
      expect((await api.gql(NODE, { id }, agent)).body).toEqual({ data: { node: null } });
    }
  });

  it('node(id:) needs a token with tickets:read', async () => {
    const r = await api.gql(NODE, { id: '0123456789abcdef01234567' });
    expect(codeOf(r)).toBe('UNAUTHENTICATED');
  });

  it('pageInfo: startCursor is the first edge, endCursor the last, hasPreviousPage false (forward paging only)', async () => {
    for (let i = 0; i < 3; i++) await api.gql(CREATE, { input: ticketInput() });
    const first = (await api.gql(PAGE, { first: 2 }, agent)).body.data!.tickets;
    expect(first.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: first.edges[0].cursor,
      endCursor: first.edges[1].cursor,
    });
    const second = (await api.gql(PAGE, { first: 100, after: first.pageInfo.endCursor }, agent)).body.data!.tickets;
    expect(second.pageInfo).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: second.edges[0].cursor,
    });
    const empty = (await api.gql(PAGE, { first: 1, after: second.pageInfo.endCursor }, agent)).body.data!.tickets;
    expect(empty).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });
});
