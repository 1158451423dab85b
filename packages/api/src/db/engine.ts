// Which database to use when none is configured, per the engines note:
//   1. MONGODB_URI;
//   2. a real mongod: MONGOMS_SYSTEM_BINARY, or `mongod` on PATH;
//   3. jongodb, the MongoDB-compatible engine shipped as an npm binary.
// An embedded engine lives as long as this process and is stopped with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface Engine {
  uri: string;
  /** Human-readable name for the start-up log. */
  name: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export async function startEngine(options: { uri?: string; database: string; env?: NodeJS.ProcessEnv }): Promise<Engine> {
  const env = options.env ?? process.env;
  if (options.uri) return { uri: options.uri, name: 'MongoDB at MONGODB_URI', embedded: false, stop: async () => {} };
  const mongod = findMongod(env);
  if (mongod) return startMongod(mongod, options.database);
  const jongodb = findJongodb();
  if (jongodb) return startJongodb(jongodb, options.database);
  throw new Error('No database: set MONGODB_URI, install mongod, or install @jongodb/memory-server-bin-linux-x64-gnu (linux x64 only).');
}

function onPath(binary: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

function findMongod(env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env.MONGOMS_SYSTEM_BINARY?.trim();
  if (explicit && existsSync(explicit)) return explicit;
  return onPath('mongod', env);
}

export function findJongodb(): string | undefined {
  try {
    const pkg = require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json');
    const bin = join(pkg, '..', 'bin', 'jongodb');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Spawn `bin args`, resolve with the first stdout line `ready` recognises. */
function spawnUntil(bin: string, args: string[], ready: (line: string) => string | undefined): Promise<{ child: ChildProcess; value: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let tail = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${bin} did not start within ${START_TIMEOUT_MS} ms: ${tail.slice(-300)}`)); }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      tail = (tail + chunk.toString()).slice(-1000);
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const value = ready(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (value) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          child.stderr?.resume();
          resolve({ child, value });
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => { tail = (tail + c.toString()).slice(-1000); });
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${bin} exited with ${code} before it was ready: ${tail.slice(-300)}`)); });
  });
}

function stopChild(child: ChildProcess, after?: () => void): () => Promise<void> {
  // Never leave an engine running behind us, however this process ends.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  return () =>
    new Promise<void>((resolve) => {
      process.off('exit', orphanGuard);
      if (child.exitCode !== null || child.signalCode !== null) { after?.(); return resolve(); }
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => { clearTimeout(kill); after?.(); resolve(); });
      child.kill('SIGTERM');
    });
}

async function startJongodb(bin: string, database: string): Promise<Engine> {
  const { child, value } = await spawnUntil(bin, ['--host=127.0.0.1', '--port=0', `--database=${database}`], (line) => /^JONGODB_URI=(\S+)/.exec(line.trim())?.[1]);
  child.removeAllListeners('exit');
  return { uri: value, name: 'jongodb (embedded, MongoDB-compatible; for development and tests)', embedded: true, stop: stopChild(child) };
}

async function startMongod(bin: string, database: string): Promise<Engine> {
  const dbpath = mkdtempSync(join(tmpdir(), 'ticket-api-mongod-'));
  const port = await freePort();
  const { child } = await spawnUntil(bin, ['--dbpath', dbpath, '--port', String(port), '--bind_ip', '127.0.0.1'], (line) =>
    /Waiting for connections|waiting for connections/.test(line) ? 'ready' : undefined,
  );
  child.removeAllListeners('exit');
  const cleanup = () => rmSync(dbpath, { recursive: true, force: true });
  return { uri: `mongodb://127.0.0.1:${port}/${database}`, name: `mongod (embedded, ${bin}, temporary data)`, embedded: true, stop: stopChild(child, cleanup) };
}
