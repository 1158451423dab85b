// Which database to use when none is configured:
//   1. MONGODB_URI;
//   2. a real mongod, run by mongodb-memory-server-core as a single-node
//      replica set (so transactions and change streams work): the binary
//      from MONGOMS_SYSTEM_BINARY, `mongod` on PATH, or one it has cached or
//      can download (first start only; cached after);
//   3. jongodb, the MongoDB-compatible engine shipped as an npm binary: in
//      memory only, every ticket is gone when it stops.
// A download that fails (offline) gives up within DOWNLOAD_DEADLINE_MS and
// is remembered for DOWNLOAD_RETRY_MS, so test files and restarts do not pay
// for it again. An embedded engine lives as long as this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';

export interface Engine {
  uri: string;
  /** Human-readable name for the start-up log. */
  name: string;
  /** external: MONGODB_URI; the others run embedded, as long as this process. */
  kind: 'external' | 'mongod' | 'jongodb';
  /** Data survives a restart (a mongod with a data directory, or MONGODB_URI). */
  persistent: boolean;
  /** Why the chain went the way it did (for the log). */
  notes: string[];
  /** The mongod binary, when one runs. */
  binary?: string;
  stop(): Promise<void>;
}

export interface EngineOptions {
  uri?: string;
  database: string;
  env?: NodeJS.ProcessEnv;
  /** Keep a real mongod's data here across restarts; without it, data is thrown away. */
  dataDir?: string;
}

const START_TIMEOUT_MS = 30_000;
/** An offline download must give up this soon: no progress by then means no download. */
export const DOWNLOAD_DEADLINE_MS = 10_000;
/** A download that progresses may take this long (a first download is about 100 MB). */
const DOWNLOAD_LIMIT_MS = 15 * 60_000;
/** A failed download is not tried again for this long. */
export const DOWNLOAD_RETRY_MS = 30 * 60_000;

export async function startEngine(options: EngineOptions): Promise<Engine> {
  const env = options.env ?? process.env;
  if (options.uri)
    return {
      uri: options.uri,
      name: 'MongoDB at MONGODB_URI',
      kind: 'external',
      persistent: true,
      notes: [],
      stop: async () => {},
    };
  const notes: string[] = [];
  const binary = findMongod(env) ?? (await fetchMongod(env, notes));
  if (binary) {
    try {
      return await startReplicaSet(binary, options.database, options.dataDir, notes);
    } catch (err) {
      notes.push(`mongod ${binary} did not start: ${oneLine(err)}`);
    }
  }
  const jongodb = findJongodb();
  if (jongodb) return startJongodb(jongodb, options.database, notes);
  throw new Error(
    `No database: set MONGODB_URI, install mongod, or install @jongodb/memory-server-bin-linux-x64-gnu (linux x64 only). ${notes.join(' ')}`,
  );
}

const oneLine = (err: unknown) =>
  String((err as Error)?.message ?? err)
    .split('\n')[0]
    .slice(0, 200);

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
function spawnUntil(
  bin: string,
  args: string[],
  ready: (line: string) => string | undefined,
): Promise<{ child: ChildProcess; value: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let tail = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} did not start within ${START_TIMEOUT_MS} ms: ${tail.slice(-300)}`));
    }, START_TIMEOUT_MS);
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
    child.stderr?.on('data', (c: Buffer) => {
      tail = (tail + c.toString()).slice(-1000);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited with ${code} before it was ready: ${tail.slice(-300)}`));
    });
  });
}

function stopChild(child: ChildProcess): () => Promise<void> {
  // Never leave an engine running behind us, however this process ends.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  return () =>
    new Promise<void>((resolve) => {
      process.off('exit', orphanGuard);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

export async function startJongodb(bin: string, database: string, notes: string[] = []): Promise<Engine> {
  const { child, value } = await spawnUntil(
    bin,
    ['--host=127.0.0.1', '--port=0', `--database=${database}`],
    (line) => /^JONGODB_URI=(\S+)/.exec(line.trim())?.[1],
  );
  child.removeAllListeners('exit');
  return {
    uri: value,
    name: 'jongodb (embedded, in memory: data is lost when it stops)',
    kind: 'jongodb',
    persistent: false,
    notes,
    stop: stopChild(child),
  };
}

// ---- a real mongod ------------------------------------------------------

/** mongodb-memory-server-core, when installed (it is a dependency; a trimmed install may lack it). */
function memoryServerPackage(): string | undefined {
  try {
    return dirname(require.resolve('mongodb-memory-server-core/package.json'));
  } catch {
    return undefined;
  }
}

/** Where a failed download is remembered: beside mongodb-memory-server's own binary cache. */
export function downloadMemoPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TICKET_API_ENGINE_CACHE) return join(env.TICKET_API_ENGINE_CACHE, 'mongod-download.json');
  const pkg = memoryServerPackage();
  return pkg ? join(pkg, '..', '.cache', 'ticket-api', 'mongod-download.json') : undefined;
}

/** A cached or downloaded mongod from mongodb-memory-server-core, or undefined (with the reason in notes). */
async function fetchMongod(env: NodeJS.ProcessEnv, notes: string[]): Promise<string | undefined> {
  const pkg = memoryServerPackage();
  if (!pkg) return undefined;
  const memo = downloadMemoPath(env)!;
  const failed = readMemo(memo);
  if (failed && Date.now() - failed.at < DOWNLOAD_RETRY_MS) {
    notes.push(
      `no mongod: its download failed ${Math.round((Date.now() - failed.at) / 60_000)} min ago (${failed.reason}); not retried before ${new Date(failed.at + DOWNLOAD_RETRY_MS).toISOString()} (delete ${memo} to retry now)`,
    );
    return undefined;
  }
  const t0 = Date.now();
  const result = await downloadInChild(pkg, env);
  if ('path' in result) {
    rmSync(memo, { force: true });
    return result.path;
  }
  mkdirSync(dirname(memo), { recursive: true });
  writeFileSync(memo, JSON.stringify({ at: Date.now(), reason: result.failed }));
  notes.push(
    `no mongod: mongodb-memory-server could not get one (${result.failed}) after ${Date.now() - t0} ms (${result.downloadMs ?? 0} ms of them downloading); not retried for ${DOWNLOAD_RETRY_MS / 60_000} min`,
  );
  return undefined;
}

function readMemo(path: string): { at: number; reason: string } | undefined {
  try {
    const memo = JSON.parse(readFileSync(path, 'utf8'));
    return typeof memo.at === 'number' ? memo : undefined;
  } catch {
    return undefined;
  }
}

/** The download child's first line: from here on it is the network's time. */
const FETCH_BEGINS = 'MONGOD_FETCH_BEGINS';

/**
 * MongoBinary.getPath() in a child process: it finds a cached binary or
 * downloads one. The child can be killed when it makes no progress, which
 * an in-process download (no timeout of its own) could not be.
 */
function downloadInChild(
  pkg: string,
  env: NodeJS.ProcessEnv,
): Promise<{ path: string } | { failed: string; downloadMs?: number }> {
  // It says when it begins: the deadline is the network's, not the time a busy host takes to start node and load the package.
  const script = `const { MongoBinary } = require(${JSON.stringify(pkg)}); console.log('${FETCH_BEGINS}'); MongoBinary.getPath().then((p) => console.log('MONGOD_BINARY=' + p), (e) => { console.error(String(e && e.message || e)); process.exit(1); });`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let beganAt: number | undefined;
    const done = (r: { path: string } | { failed: string }) => {
      clearTimeout(deadline);
      clearTimeout(limit);
      resolve(
        'failed' in r && beganAt !== undefined ? { ...r, downloadMs: Math.round(performance.now() - beganAt) } : r,
      );
    };
    // No byte of progress within the deadline of its beginning: offline (or a black hole). Give up.
    let deadline: NodeJS.Timeout | undefined;
    const begins = () => {
      beganAt = performance.now();
      deadline = setTimeout(() => {
        if (/Downloading/i.test(out)) return;
        child.kill('SIGKILL');
        done({ failed: `no progress within ${DOWNLOAD_DEADLINE_MS / 1000} s` });
      }, DOWNLOAD_DEADLINE_MS);
    };
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      done({ failed: `not done within ${DOWNLOAD_LIMIT_MS / 60_000} min` });
    }, DOWNLOAD_LIMIT_MS);
    child.stdout.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
      if (!deadline && out.includes(FETCH_BEGINS)) begins();
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on('error', (e) => done({ failed: oneLine(e) }));
    child.on('exit', (code) => {
      const path = /MONGOD_BINARY=(.+)/.exec(out)?.[1]?.trim();
      if (code === 0 && path) done({ path });
      else done({ failed: oneLine(err.trim().split('\n').pop() || `exit ${code}`) });
    });
  });
}

/**
 * A single-node replica set. With a data directory the data stays across
 * restarts; the port is kept with it, because a replica set's
 * configuration names its members by host and port.
 */
async function startReplicaSet(
  binary: string,
  database: string,
  dataDir: string | undefined,
  notes: string[],
): Promise<Engine> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MongoMemoryReplSet } = require('mongodb-memory-server-core') as typeof import('mongodb-memory-server-core');
  let instance: { ip: string; dbPath?: string; port?: number; storageEngine: 'wiredTiger' } = {
    ip: '127.0.0.1',
    storageEngine: 'wiredTiger',
  };
  const portFile = dataDir && join(dataDir, 'mongod.json');
  if (dataDir && portFile) {
    mkdirSync(join(dataDir, 'mongod'), { recursive: true });
    const saved = readPort(portFile);
    instance = { ...instance, dbPath: join(dataDir, 'mongod'), port: saved ?? (await freePort()) };
    if (!saved) writeFileSync(portFile, JSON.stringify({ port: instance.port }));
  }
  const replSet = await MongoMemoryReplSet.create({
    binary: { systemBinary: binary },
    replSet: { count: 1, name: 'rs0', storageEngine: 'wiredTiger' },
    instanceOpts: [instance],
  });
  const stopGuard = () => void replSet.stop({ doCleanup: !dataDir, force: false });
  process.once('exit', stopGuard);
  const where = dataDir ? `data in ${dataDir}` : 'throw-away data';
  return {
    uri: replSet.getUri(database),
    name: `mongod (${binary}, single-node replica set, ${where})`,
    kind: 'mongod',
    binary,
    persistent: Boolean(dataDir),
    notes,
    stop: async () => {
      process.off('exit', stopGuard);
      await replSet.stop({ doCleanup: !dataDir, force: false });
    },
  };
}

function readPort(path: string): number | undefined {
  try {
    const port = JSON.parse(readFileSync(path, 'utf8')).port;
    return Number.isInteger(port) ? port : undefined;
  } catch {
    return undefined;
  }
}
