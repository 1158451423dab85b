// Built API servers as separate processes (as `npm start` runs them).
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { AGENT_TOKEN, COLLECTIONS, METRICS_TOKEN, databaseUri } from './api';

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
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', NODE_ENV: 'production', ...env } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

/** Start the server and wait for its ready line (`waitMs`: longer for a test that starts servers on a busy machine). */
export async function startServer(env: Record<string, string>, waitMs = 30_000): Promise<ServerProcess> {
  const p = spawnServer(env);
  for (let i = 0; i < waitMs / 100; i++) {
    const m = /ticket-api ready at (http:\/\/\S+?\/graphql)/.exec(p.out());
    if (m) return { ...p, url: m[1], stop: async () => { p.child.kill('SIGTERM'); return p.exit; } };
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  p.child.kill('SIGKILL');
  throw new Error(`server did not start: ${p.out().slice(-500)}`);
}

/** `count` API processes on one database of their own, emptied first: a deployment behind a load balancer. */
export async function startServers(count: number, database: string, env: Record<string, string> = {}, waitMs?: number): Promise<{ uri: string; servers: ServerProcess[] }> {
  const uri = databaseUri(database);
  const client = await MongoClient.connect(uri);
  try {
    for (const name of COLLECTIONS) await client.db().collection(name).deleteMany({});
  } finally {
    await client.close();
  }
  const servers = await Promise.all(Array.from({ length: count }, () => startServer({ MONGODB_URI: uri, AGENT_TOKENS: AGENT_TOKEN, METRICS_TOKEN, RATE_LIMIT: 'off', ...env }, waitMs)));
  return { uri, servers };
}

/**
 * Environment that shifts a server's clock by `offset` ("-5s", "+40s"):
 * Debian's libfaketime preloaded straight into node (found by the loader
 * under /usr/$LIB), so the server is the spawned process itself and gets the
 * test's signals (the `faketime` command would fork).
 */
export const skewedClock = (offset: string): Record<string, string> => ({ LD_PRELOAD: '/usr/$LIB/faketime/libfaketime.so.1', FAKETIME: offset });

/** Whether skewedClock works here: a node started with it reads a clock a minute behind. */
export const faketimeAvailable: boolean = (() => {
  try {
    const shown = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, ...skewedClock('-60s') } });
    return Number(shown) < Date.now() - 50_000;
  } catch {
    return false;
  }
})();
