// The built package, loaded by its name the way consumers load it:
// ESM `import` and CommonJS `require`, each making a real call.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApi, type TestApi } from '../../api/test/support/api';

const run = promisify(execFile);
const built = existsSync(join(__dirname, '../dist/index.mjs')) && existsSync(join(__dirname, '../dist/index.js'));
if (!built) console.warn('skipped: package tests need the SDK build (npm test runs it first)');
const describeBuilt = built ? describe : describe.skip;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('sdkpkg');
});
afterAll(async () => {
  await api.stop();
});

const body = (mod: string) => `
  const { createClient, ValidationError, TicketApiError } = ${mod};
  const client = createClient({ url: process.env.API_URL });
  const t = await client.createTicket({ customerEmail: 'pkg@example.com', subject: 'From a package', description: 'd' });
  let kind = 'none';
  try { await client.createTicket({ customerEmail: 'bad', subject: 's', description: 'd' }); }
  catch (e) { kind = (e instanceof ValidationError && e instanceof TicketApiError) ? e.name : 'wrong:' + e; }
  console.log(JSON.stringify({ number: t.ticketNumber, kind }));`;

describeBuilt('@tickets/sdk as a package', () => {
  it.each([
    ['ESM import', ['--input-type=module', '-e', body(`await import('@tickets/sdk')`)]],
    [
      'CommonJS require',
      [
        '-e',
        `(async () => { ${body(`require('@tickets/sdk')`)} })().catch((e) => { console.error(e); process.exit(1); })`,
      ],
    ],
  ])('%s works', async (_name, args) => {
    const { stdout } = await run(process.execPath, args, {
      cwd: join(__dirname, '../../..'),
      env: { ...process.env, API_URL: api.url },
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      number: expect.stringMatching(/^TKT-\d{5,}$/),
      kind: 'ValidationError',
    });
  });

  it('ships one runtime dependency (the graphql-ws client, for subscriptions) and no Node-only imports', async () => {
    const pkg = require('../package.json');
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(['@graphql-typed-document-node/core', 'graphql-ws']); // the first is types only
    const { readFileSync } = await import('node:fs');
    for (const file of ['index.mjs', 'index.js']) {
      const code = readFileSync(join(__dirname, '../dist', file), 'utf8');
      expect(code).not.toMatch(/require\(["'](node:|fs|http|crypto|graphql["/])/);
      expect(code).not.toMatch(/from ["'](node:|fs|http|crypto|graphql["/])/);
      // Only the client part of graphql-ws (the server part would pull graphql in).
      expect(code).toMatch(/graphql-ws\/client/);
    }
  });
});
