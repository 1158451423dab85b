// The SDK as another repository gets it: `npm pack -w packages/sdk`, the
// tarball installed into a scratch project outside this repo (next to
// Apollo Client and urql, at the versions this repo pins, from the npm
// cache), imported both ways, used against a live API, and type-checked.
import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signedChat, startTestApi, type TestApi } from '../../api/test/support/api';

const run = promisify(execFile);
const root = join(__dirname, '../../..');
const version = (pkg: string) =>
  JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;

/** npm without this repo's workspace settings leaking in from `npm test`. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_/i.test(k) || /^npm_config_(cache|registry|userconfig)$/i.test(k)) env[k] = v;
  return env;
}

let scratch: string;
let tarball: { filename: string; files: { path: string }[] };
let api: TestApi;

beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'sdk-consumer-')));
  const packed = await run(
    'npm',
    ['pack', '-w', 'packages/sdk', '--pack-destination', scratch, '--json', '--loglevel=error'],
    { cwd: root, env: npmEnv() },
  );
  [tarball] = JSON.parse(packed.stdout);
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'sdk-consumer', version: '1.0.0', private: true }),
  );
  const deps = ['@apollo/client', 'graphql', 'rxjs', '@urql/core'].map((p) => `${p}@${version(p)}`);
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `./${tarball.filename}`, ...deps],
    { cwd: scratch, env: npmEnv(), timeout: 240_000 },
  );
  api = await startTestApi('sdk_tarball');
}, 300_000);

afterAll(async () => {
  await api?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const node = (args: string[]) =>
  run(process.execPath, args, { cwd: scratch, env: { PATH: process.env.PATH, API_URL: api.url } });

describe('@tickets/sdk from its tarball, in a project outside this repo', () => {
  it('holds the builds, types, README and license, and nothing from the workspace', () => {
    const paths = tarball.files.map((f) => f.path).sort();
    for (const p of paths)
      expect(p).toMatch(/^(dist\/(index|documents)\.(js|mjs|d\.ts|d\.mts)(\.map)?|README\.md|LICENSE|package\.json)$/);
    for (const entry of ['index', 'documents'])
      for (const ext of ['js', 'mjs', 'd.ts', 'd.mts']) expect(paths).toContain(`dist/${entry}.${ext}`);
    expect(paths).toEqual(expect.arrayContaining(['README.md', 'LICENSE']));

    const installed = join(scratch, 'node_modules/@tickets/sdk');
    expect(lstatSync(installed).isSymbolicLink()).toBe(false); // a copy from the tarball, not a link into this repo
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(pkg.private).toBeUndefined();
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(pkg.license).toBe('MIT');
    for (const spec of Object.values({ ...pkg.dependencies, ...pkg.peerDependencies }) as string[])
      expect(spec).not.toMatch(/^(file|link|workspace):|\.\.\//);
  });

  it.each([
    [
      'ESM import',
      [
        '--input-type=module',
        '-e',
        `
      import { createClient, DuplicateEntryError, toTicketApiError } from '@tickets/sdk';
      import { TrackTicketDocument } from '@tickets/sdk/documents';
      const err = toTicketApiError([{ message: 'dup', extensions: { code: 'DUPLICATE_ENTRY', field: 'chatId' } }]);
      console.log(JSON.stringify({ from: import.meta.resolve('@tickets/sdk'), client: typeof createClient, doc: TrackTicketDocument.kind, dup: err instanceof DuplicateEntryError && err.field }));`,
      ],
    ],
    [
      'CommonJS require',
      [
        '-e',
        `
      const { createClient, DuplicateEntryError, toTicketApiError } = require('@tickets/sdk');
      const { TrackTicketDocument } = require('@tickets/sdk/documents');
      const err = toTicketApiError([{ message: 'dup', extensions: { code: 'DUPLICATE_ENTRY', field: 'chatId' } }]);
      console.log(JSON.stringify({ from: require.resolve('@tickets/sdk'), client: typeof createClient, doc: TrackTicketDocument.kind, dup: err instanceof DuplicateEntryError && err.field }));`,
      ],
    ],
  ])('loads with %s, from the scratch project', async (_how, args) => {
    const out = JSON.parse((await node(args)).stdout);
    expect(out).toEqual({
      from: expect.stringContaining('node_modules/@tickets/sdk/dist/index.'),
      client: 'function',
      doc: 'Document',
      dup: 'chatId',
    });
    expect(out.from.replace(/^file:\/\//, '')).toContain(scratch);
  });

  it('works with Apollo Client (and urql) against a live API: a repeated chatId is a DuplicateEntryError', async () => {
    writeFileSync(
      join(scratch, 'apollo.mjs'),
      `
      import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
      import { Client, fetchExchange } from '@urql/core';
      import { DuplicateEntryError, toTicketApiError } from '@tickets/sdk';
      import { CreateTicketDocument, TrackTicketDocument } from '@tickets/sdk/documents';

      const apollo = new ApolloClient({ link: new HttpLink({ uri: process.env.API_URL }), cache: new InMemoryCache() });
      const input = { customerEmail: 'apollo@example.com', subject: 'From Apollo Client', description: 'd', source: 'CHAT', ...${JSON.stringify(signedChat('chat-apollo-1'))} };
      const made = await apollo.mutate({ mutation: CreateTicketDocument, variables: { input } });
      let again;
      try {
        await apollo.mutate({ mutation: CreateTicketDocument, variables: { input } });
        again = 'no error';
      } catch (e) {
        const err = CombinedGraphQLErrors.is(e) ? toTicketApiError(e) : e;
        again = { duplicate: err instanceof DuplicateEntryError, field: err.field, code: err.code };
      }
      const tracked = await apollo.query({ query: TrackTicketDocument, variables: { ticketNumber: made.data.createTicket.ticketNumber, email: 'apollo@example.com' } });

      const urql = new Client({ url: process.env.API_URL, exchanges: [fetchExchange] });
      const viaUrql = await urql.mutation(CreateTicketDocument, { input }).toPromise();
      const urqlError = viaUrql.error ? toTicketApiError(viaUrql.error) : null;

      console.log(JSON.stringify({
        number: made.data.createTicket.ticketNumber,
        again,
        tracked: tracked.data.trackTicket.ticketNumber,
        urql: urqlError instanceof DuplicateEntryError ? urqlError.field : String(urqlError),
      }));`,
    );
    const out = JSON.parse((await node(['apollo.mjs'])).stdout);
    expect(out).toEqual({
      number: expect.stringMatching(/^TKT-\d{5,}$/),
      again: { duplicate: true, field: 'chatId', code: 'DUPLICATE_ENTRY' },
      tracked: out.number,
      urql: 'chatId',
    });
  });

  it("types results and variables through Apollo Client's query, in ESM and CommonJS projects", async () => {
    const checks = (from: string) => `
      import { ApolloClient } from '@apollo/client';
      import { TrackTicketDocument, type TrackTicketQuery } from '${from}/documents';
      import { DuplicateEntryError, toTicketApiError, type TicketApiError } from '${from}';

      declare const client: ApolloClient;

      export async function typed(): Promise<void> {
        const r = await client.query({ query: TrackTicketDocument, variables: { ticketNumber: 'TKT-00001', email: 'a@example.com' } });
        const number: string | undefined = r.data?.trackTicket?.ticketNumber;
        const whole: TrackTicketQuery | undefined = r.data;
        const kinds: string[] | undefined = r.data?.trackTicket?.timeline.map((e) => e.kind);
        // @ts-expect-error: ticketNumber is a String
        await client.query({ query: TrackTicketDocument, variables: { ticketNumber: 42, email: 'a@example.com' } });
        // @ts-expect-error: ticketNumber is required (email or key names the customer)
        await client.query({ query: TrackTicketDocument, variables: { email: 'a@example.com' } });
        // @ts-expect-error: no such field on a ticket
        void r.data?.trackTicket?.notAField;
        const e: TicketApiError = toTicketApiError([{ message: 'x', extensions: { code: 'DUPLICATE_ENTRY', field: 'chatId' } }]);
        if (e instanceof DuplicateEntryError) { const field: string = e.field; void field; }
        void number; void whole; void kinds;
      }
    `;
    writeFileSync(join(scratch, 'typed.mts'), checks('@tickets/sdk'));
    writeFileSync(join(scratch, 'typed-cjs.ts'), checks('@tickets/sdk'));
    const base = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      types: [],
    };
    writeFileSync(
      join(scratch, 'tsconfig.esm.json'),
      JSON.stringify({
        compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' },
        files: ['typed.mts'],
      }),
    );
    writeFileSync(
      join(scratch, 'tsconfig.cjs.json'),
      JSON.stringify({
        compilerOptions: { ...base, module: 'commonjs', moduleResolution: 'node' },
        files: ['typed-cjs.ts'],
      }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    for (const project of ['tsconfig.esm.json', 'tsconfig.cjs.json']) {
      await expect(
        node([tsc, '-p', project]).then(
          () => 'compiles',
          (e) => String(e.stdout || e),
        ),
      ).resolves.toBe('compiles');
    }
  });
});
