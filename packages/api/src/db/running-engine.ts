// A running `npm start` on an embedded engine (jongodb or its own mongod)
// says where that engine listens in DATA_DIR/engine.json, so the command-line
// tools (`npm run tokens`, `customers`, `doctor`) reach the same database
// without MONGODB_URI. The file is removed when the server stops; one left by
// a killed server is ignored, since its process is gone.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Running {
  uri: string;
  pid: number;
  engine: string;
}

const fileIn = (dataDir: string) => join(dataDir, 'engine.json');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Written once the server has connected; only readable by this user (the URI may hold a password). */
export function recordRunningEngine(dataDir: string, uri: string, engine: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(fileIn(dataDir), JSON.stringify({ uri, pid: process.pid, engine } satisfies Running), { mode: 0o600 });
}

/** Removed at stop, unless another server has recorded itself since. */
export function forgetRunningEngine(dataDir: string): void {
  const running = read(dataDir);
  if (running?.pid === process.pid) rmSync(fileIn(dataDir), { force: true });
}

function read(dataDir: string): Running | undefined {
  try {
    const r = JSON.parse(readFileSync(fileIn(dataDir), 'utf8')) as Partial<Running>;
    return typeof r.uri === 'string' && Number.isInteger(r.pid) && typeof r.engine === 'string'
      ? (r as Running)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The engine a live `npm start` uses, or undefined. */
export function runningEngine(dataDir: string): Running | undefined {
  const r = read(dataDir);
  return r && alive(r.pid) ? r : undefined;
}

/**
 * The database a command-line tool works on: MONGODB_URI, else the one a
 * running server started; undefined (with what to do) when neither.
 */
export function cliDatabase(config: {
  mongodbUri?: string;
  dataDir: string;
}): { uri: string; from: string } | { missing: string } {
  if (config.mongodbUri) return { uri: config.mongodbUri, from: 'MONGODB_URI' };
  const running = runningEngine(config.dataDir);
  if (running)
    return { uri: running.uri, from: `the ${running.engine} of the server running as process ${running.pid}` };
  return {
    missing: `MONGODB_URI is not set and no server is running on an embedded database (${fileIn(config.dataDir)}): start one with \`npm start\` in another terminal, or set MONGODB_URI.`,
  };
}
