// Built API servers as separate processes (as `npm start` runs them).
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { connectDatabase } from '../../src/db/connection';
import { AGENT_TOKEN, COLLECTIONS, METRICS_TOKEN, databaseUri } from './api';
import { Receiver } from './receiver';

export const SERVER = join(__dirname, '../../dist/cli/serve.js');
export const serverBuilt = existsSync(SERVER);

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  exit: Promise<number | null>;
  url: string;
  stop(): Promise<number | null>;
}

export type SpawnedServer = Omit<ServerProcess, 'url' | 'stop'>;

/** Start the server without waiting for it (to watch it fail, say). */
export function spawnServer(env: Record<string, string>): SpawnedServer {
  const child = spawn(process.execPath, [SERVER], {
    // DB_TIMEOUT_MS: the engine every test file shares stalls for seconds when heavy files coincide (support/api.ts).
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      NODE_ENV: 'production',
      DB_TIMEOUT_MS: '10000',
      ...env,
    },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

/** How long a server may take to say it is ready before it counts as hung (`waitMs`: a test's own limit). */
const START_LIMIT_MS = 90_000;

/** Start the server and wait for its ready line. */
export async function startServer(env: Record<string, string>, waitMs = START_LIMIT_MS): Promise<ServerProcess> {
  const p = spawnServer(env);
  // Until it is ready or gone: a busy host may take long to start node, the limit is only for a hang.
  for (const t0 = Date.now(); Date.now() - t0 < Math.max(waitMs, START_LIMIT_MS);) {
    const m = /ticket-api ready at (http:\/\/\S+?\/graphql)/.exec(p.out());
    if (m)
      return {
        ...p,
        url: m[1],
        stop: async () => {
          p.child.kill('SIGTERM');
          return p.exit;
        },
      };
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  p.child.kill('SIGKILL');
  throw new Error(`server did not start: ${p.out().slice(-500)}`);
}

/** Empties a test's database: every collection the API writes, and `more` (engines may not support drop). */
export async function clearDatabase(uri: string, more: string[] = []): Promise<void> {
  const client = await MongoClient.connect(uri);
  try {
    for (const name of [...COLLECTIONS, ...more]) await client.db().collection(name).deleteMany({});
  } finally {
    await client.close();
  }
}

/** What every test's API process is given (besides its database): the test tokens, no rate limit. */
export const SERVER_ENV: Record<string, string> = {
  AGENT_TOKENS: AGENT_TOKEN,
  METRICS_TOKEN,
  RATE_LIMIT: 'off',
};

/** `count` API processes on one database of their own, emptied first: a deployment behind a load balancer. */
export async function startServers(
  count: number,
  database: string,
  env: Record<string, string> = {},
  waitMs?: number,
): Promise<{ uri: string; servers: ServerProcess[] }> {
  const uri = databaseUri(database);
  await clearDatabase(uri);
  const servers = await Promise.all(
    Array.from({ length: count }, () => startServer({ MONGODB_URI: uri, ...SERVER_ENV, ...env }, waitMs)),
  );
  return { uri, servers };
}

/**
 * Environment that shifts a server's clock by `offset` ("-5s", "+40s"):
 * Debian's libfaketime preloaded straight into node (found by the loader
 * under /usr/$LIB), so the server is the spawned process itself and gets the
 * test's signals (the `faketime` command would fork).
 */
export const skewedClock = (offset: string): Record<string, string> => ({
  LD_PRELOAD: '/usr/$LIB/faketime/libfaketime.so.1',
  FAKETIME: offset,
});

let faketimeWorks: boolean | undefined;
/**
 * Whether skewedClock works here: a node started with it reads a clock a
 * minute behind. Asked only by the files that skew clocks (it starts a node,
 * which every file importing this one would otherwise pay for), once.
 */
export function faketimeAvailable(): boolean {
  faketimeWorks ??= (() => {
    try {
      const shown = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], {
        encoding: 'utf8',
        timeout: 10_000,
        env: { ...process.env, ...skewedClock('-60s') },
      });
      return Number(shown) < Date.now() - 50_000;
    } catch {
      return false;
    }
  })();
  return faketimeWorks;
}

/**
 * API processes on one database, started one at a time as a test needs
 * them, with the webhook receivers it points them at: `stop()` (in
 * afterEach) ends every process, a SIGSTOPped one too, and every receiver.
 */
export class Deployment {
  servers: ServerProcess[] = [];
  readonly receivers: Receiver[] = [];

  constructor(
    readonly uri: string,
    private readonly env: Record<string, string> = {},
  ) {}

  async start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServer({ MONGODB_URI: this.uri, ...this.env, ...env });
    this.servers.push(server);
    return server;
  }

  receiver(): Receiver {
    const r = new Receiver();
    this.receivers.push(r);
    return r;
  }

  async stop(): Promise<void> {
    for (const s of this.servers) if (s.child.exitCode === null) s.child.kill('SIGCONT');
    await Promise.all(this.servers.map((s) => (s.child.exitCode === null ? s.stop() : null)));
    this.servers = [];
    await Promise.all(this.receivers.splice(0).map((r) => r.stop()));
  }
}

/**
 * For a describe block: `count` API processes on a database of its own
 * (emptied first, with `more` collections), started in beforeAll, with the
 * test file's mongoose connection on that database to read what they wrote;
 * in afterAll every process ends (a SIGSTOPped one too) and the connection closes.
 */
export function useDeployment(
  database: string,
  count: number,
  options: { env?: Record<string, string>; more?: string[] } = {},
): Deployment {
  const deployment = new Deployment(databaseUri(database), { ...SERVER_ENV, ...options.env });
  beforeAll(async () => {
    await clearDatabase(deployment.uri, options.more);
    await connectDatabase(deployment.uri, 10_000);
    await Promise.all(Array.from({ length: count }, () => deployment.start()));
  }, 120_000);
  afterAll(async () => {
    await deployment.stop();
    await mongoose.disconnect();
  });
  return deployment;
}
