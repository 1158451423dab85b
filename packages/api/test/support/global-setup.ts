// Choose the run's engine: MONGODB_URI when set (real MongoDB), else the
// same chain `npm start` uses. A real server is shared by every file (each
// works in a database of its own); jongodb, which keeps everything in one
// process's memory and slows as it fills, is started per test file instead
// (engine-environment.ts). Tests find the engine in TEST_MONGODB_URI.
import { findJongodb, startEngine } from '../../src/db/engine';

export default async function globalSetup(): Promise<void> {
  const engine = await startEngine({ uri: process.env.MONGODB_URI, database: 'test' });
  process.env.TEST_ENGINE_NAME = engine.name;
  process.env.TEST_REAL_MONGODB = engine.kind === 'jongodb' ? '' : '1';
  process.env.TEST_MONGOD_BINARY = engine.binary ?? '';
  for (const note of engine.notes) process.stdout.write(`\n[tests] ${note}`);
  if (engine.kind === 'jongodb') {
    await engine.stop();
    process.env.TEST_JONGODB_BINARY = findJongodb();
    process.stdout.write(`\n[tests] database engine: ${engine.name}, one per test file\n`);
    return;
  }
  process.env.TEST_MONGODB_URI = engine.uri;
  (globalThis as { __ENGINE__?: typeof engine }).__ENGINE__ = engine;
  process.stdout.write(`\n[tests] database engine: ${engine.name}\n`);
}
