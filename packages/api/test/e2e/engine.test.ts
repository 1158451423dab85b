// The engine chain without MONGODB_URI: a real mongod when one can be had,
// else jongodb, and an offline machine finds that out within 10 seconds,
// once: the failure is remembered.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { DOWNLOAD_DEADLINE_MS, downloadMemoPath, startEngine, type Engine } from '../../src/db/engine';

const scratch: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'engine-test-'));
  scratch.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** An environment where no mongod is installed or cached and downloads go to the mirror at `url`. */
function offline(url: string): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/bin:/bin', // no mongod on it
    HOME: tmp(),
    TICKET_API_ENGINE_CACHE: tmp(),
    MONGOMS_DOWNLOAD_DIR: tmp(),
    MONGOMS_PREFER_GLOBAL_PATH: 'false',
    MONGOMS_USE_HTTP: 'true',
    MONGOMS_DOWNLOAD_MIRROR: url,
  };
}

/** How long the download was tried, as the engine's note says. */
const downloadMs = (engine: Engine) =>
  Number(/\((\d+) ms of them downloading\)/.exec(engine.notes.join(' '))?.[1] ?? NaN);

async function timed(env: NodeJS.ProcessEnv): Promise<{ engine: Engine; ms: number }> {
  const t0 = Date.now();
  const engine = await startEngine({ database: 'chain', env });
  return { engine, ms: Date.now() - t0 };
}

describe('the engine chain, offline', () => {
  it('falls back to jongodb when the download is refused, and remembers it', async () => {
    const refused = http.createServer();
    await new Promise<void>((r) => refused.listen(0, '127.0.0.1', r));
    const port = (refused.address() as AddressInfo).port;
    await new Promise((r) => refused.close(r)); // nothing listens there now
    const env = offline(`http://127.0.0.1:${port}`);

    const first = await timed(env);
    try {
      expect(first.engine.kind).toBe('jongodb');
      expect(first.engine.persistent).toBe(false);
      expect(first.engine.notes.join(' ')).toMatch(
        /no mongod: mongodb-memory-server could not get one \(.*ECONNREFUSED/,
      );
      console.log(`[tests] offline fallback (download refused): jongodb ready after ${first.ms} ms`);
      // The download itself gave up at once; starting node and jongodb on a busy host is not the network's time.
      expect(downloadMs(first.engine)).toBeLessThan(DOWNLOAD_DEADLINE_MS);
      expect(JSON.parse(readFileSync(downloadMemoPath(env)!, 'utf8')).reason).toBeTruthy();
    } finally {
      await first.engine.stop();
    }

    // The next start does not try again: it says so and goes straight on.
    const second = await timed(env);
    try {
      expect(second.engine.kind).toBe('jongodb');
      expect(second.engine.notes.join(' ')).toMatch(/download failed .* not retried before/);
      console.log(`[tests] with the failure remembered: jongodb ready after ${second.ms} ms`);
    } finally {
      await second.engine.stop();
    }
  });

  it('gives up on a download that makes no progress within 10 s (a network that swallows packets)', async () => {
    // Accepts the connection, never answers: the download would hang forever.
    const silent = http.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { engine, ms } = await timed(offline(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`));
      try {
        expect(engine.kind).toBe('jongodb');
        expect(engine.notes.join(' ')).toMatch(/no progress within 10 s/);
        console.log(`[tests] offline fallback (download hangs): jongodb ready after ${ms} ms`);
        expect(downloadMs(engine)).toBeGreaterThanOrEqual(DOWNLOAD_DEADLINE_MS - 100);
        expect(downloadMs(engine)).toBeLessThan(DOWNLOAD_DEADLINE_MS + 5_000);
      } finally {
        await engine.stop();
      }
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  }, 30_000);
});

const mongod = process.env.TEST_MONGOD_BINARY;
if (!mongod)
  console.log(
    '[tests] skipped: "a real mongod keeps its data across restarts" needs a mongod (none on PATH, none cached, download unavailable)',
  );
(mongod ? describe : describe.skip)('the engine chain with a real mongod', () => {
  it('runs a replica set that keeps its data in the data directory across restarts; without one, starts empty', async () => {
    const dataDir = tmp();
    const env = { ...process.env, MONGOMS_SYSTEM_BINARY: mongod };
    const write = async (engine: Engine) => {
      const client = await MongoClient.connect(engine.uri);
      try {
        await client.db().collection('kept').insertOne({ note: 'still here' });
        // A replica set: transactions are possible.
        expect((await client.db().admin().command({ hello: 1 })).setName).toBeTruthy();
      } finally {
        await client.close();
      }
    };
    const count = async (engine: Engine) => {
      const client = await MongoClient.connect(engine.uri);
      try {
        return await client.db().collection('kept').countDocuments();
      } finally {
        await client.close();
      }
    };
    const first = await startEngine({ database: 'kept', env, dataDir });
    expect(first.persistent).toBe(true);
    await write(first);
    await first.stop();
    const again = await startEngine({ database: 'kept', env, dataDir });
    try {
      expect(await count(again)).toBe(1);
    } finally {
      await again.stop();
    }
    const fresh = await startEngine({ database: 'kept', env });
    try {
      expect(await count(fresh)).toBe(0);
    } finally {
      await fresh.stop();
    }
  }, 120_000);
});
