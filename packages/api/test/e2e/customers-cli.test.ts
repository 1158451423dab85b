// The customers CLI (`npm run customers`) beside a running API process
// (issue 31, points 13 and 17): it erases the shared rate-limit records
// whatever its own RATE_LIMIT_STORE says, its erasures reach the API's
// tickets_erased_total, and a bad email is a usage error (2) before
// anything is asked or read.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { AGENT_TOKEN, CREATE, gql, metricsAuth, ticketInput } from '../support/api';
import { serverBuilt, startServer, startServers, type ServerProcess } from '../support/processes';

const CUSTOMERS = join(__dirname, '../../dist/cli/customers.js');
const describeBuilt = serverBuilt ? describe : describe.skip;

function cli(
  args: string[],
  env: Record<string, string | undefined>,
  input = '',
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CUSTOMERS, ...args], {
      env: { PATH: process.env.PATH, USER: 'operator', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; ;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const erasedMetric = async (base: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`, metricsAuth)).text();
  return Number(/^tickets_erased_total\{reason="request"\} (\S+)$/m.exec(text)?.[1] ?? 0);
};

describeBuilt('the customers CLI beside an API process', () => {
  let uri: string;
  let server: ServerProcess;
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    // The API keeps its budgets in memory; the CLI is told nothing of rate limits at all.
    ({
      uri,
      servers: [server],
    } = await startServers(1, 'customers_cli', { RETENTION_SWEEP_SECONDS: '1' }));
    client = await MongoClient.connect(uri);
    db = client.db();
    await db.collection('rate_limits').deleteMany({});
    await db.collection('erasure_tallies').deleteMany({});
  });
  afterAll(async () => {
    await server?.stop();
    await client?.close();
  });

  it('a bad email is a usage error (2) before anything is asked, for erase and audit alike', async () => {
    const erase = await cli(['erase', '--email', 'not-an-email'], { MONGODB_URI: uri });
    expect(erase.code).toBe(2);
    expect(erase.err).not.toMatch(/Type "yes"/);
    expect(erase.err).toMatch(/email/);
    expect((await cli(['audit', '--email', 'not-an-email'], { MONGODB_URI: uri })).code).toBe(2);
    expect((await cli(['export', '--email', 'not-an-email'], { MONGODB_URI: uri })).code).toBe(2);
  });

  it("erases the shared rate-limit records of the customer's tickets, and the API counts the erasure in tickets_erased_total", async () => {
    const base = server.url.replace(/\/graphql$/, '');
    const email = 'cli.person@example.com';
    const r = await gql<any>(server.url, CREATE, { input: ticketInput({ customerEmail: email }) });
    expect(r.body.errors).toBeUndefined();
    const n: string = r.body.data.createTicket.ticketNumber;
    // What API processes with RATE_LIMIT_STORE=mongo keep of who looked this number up.
    await db.collection('rate_limits').insertMany([
      { key: `rl_guessFromAll:${n}`, points: 3, expire: new Date(Date.now() + 3_600_000) },
      { key: `rl_guessFromAddress:${n}|203.0.113.9`, points: 3, expire: new Date(Date.now() + 3_600_000) },
      { key: `rl_finders:${n}|203.0.113.9`, points: 1, expire: new Date(Date.now() + 3_600_000) },
      { key: 'rl_guessFromAll:TKT-99999', points: 1, expire: new Date(Date.now() + 3_600_000) },
    ]);
    const before = await erasedMetric(base);

    const erased = await cli(['erase', '--email', email, '--yes', '--json'], { MONGODB_URI: uri });
    expect(erased.code).toBe(0);
    expect(JSON.parse(erased.out)).toMatchObject({ tickets: 1 });
    expect((await db.collection('rate_limits').find({}).toArray()).map((d) => d.key)).toEqual([
      'rl_guessFromAll:TKT-99999',
    ]);

    // The API process holding the sweep's lease takes the CLI's tally: counted once.
    await until("the CLI's erasure in tickets_erased_total", async () => (await erasedMetric(base)) >= before + 1);
    expect(await erasedMetric(base)).toBe(before + 1);
    expect(await db.collection('erasure_tallies').countDocuments({})).toBe(0);

    // Again: nothing left, zeros, and nothing more counted.
    const again = await cli(['erase', '--email', email, '--yes', '--json'], { MONGODB_URI: uri });
    expect(JSON.parse(again.out)).toEqual({ tickets: 0, events: 0, attachments: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await erasedMetric(base)).toBe(before + 1);
  });
});

describeBuilt('stored emails brought to their one spelling by processes starting at once', () => {
  it('respells each old ticket once, whichever of three processes gets there first', async () => {
    const {
      uri,
      servers: [first],
    } = await startServers(1, 'respell_processes');
    const numbers: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await gql<any>(first.url, CREATE, { input: ticketInput({ customerEmail: `old${i}@example.com` }) });
      numbers.push(r.body.data.createTicket.ticketNumber);
    }
    await first.stop();
    const client = await MongoClient.connect(uri);
    try {
      const db = client.db();
      // What the earlier code stored: lower-cased, decomposed, the domain in Unicode.
      for (const [i, n] of numbers.entries())
        await db
          .collection('tickets')
          .updateOne({ ticketNumber: n }, { $set: { customerEmail: `old${i}@bu\u0308cher.de` } });
      await db.collection('schema_migrations').deleteMany({});
      const servers = await Promise.all(
        [0, 1, 2].map(() => startServer({ MONGODB_URI: uri, AGENT_TOKENS: AGENT_TOKEN, RATE_LIMIT: 'off' })),
      );
      try {
        const stored = await db
          .collection('tickets')
          .find({ ticketNumber: { $in: numbers } })
          .toArray();
        expect(stored.map((t) => t.customerEmail).sort()).toEqual(
          numbers.map((_, i) => `old${i}@xn--bcher-kva.de`).sort(),
        );
        // Each change made once: the processes' own counts add up to the tickets changed.
        const counted = servers.map((p) =>
          [...p.out().matchAll(/"tickets":(\d+)[^\n]*stored customer emails brought/g)].reduce(
            (a, m) => a + Number(m[1]),
            0,
          ),
        );
        expect(counted.reduce((a, b) => a + b, 0)).toBe(6);
        expect(await db.collection('schema_migrations').countDocuments({ _id: 'email-spelling-1' as never })).toBe(1);
      } finally {
        await Promise.all(servers.map((p) => p.stop()));
      }
    } finally {
      await client.close();
    }
  });
});
