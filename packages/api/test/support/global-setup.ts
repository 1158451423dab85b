// Start one engine for the run: MONGODB_URI when set (real MongoDB), else
// the same chain `npm start` uses. Tests find it in TEST_MONGODB_URI.
import { startEngine } from '../../src/db/engine';

export default async function globalSetup(): Promise<void> {
  const engine = await startEngine({ uri: process.env.MONGODB_URI, database: 'test' });
  process.env.TEST_MONGODB_URI = engine.uri;
  process.env.TEST_ENGINE_NAME = engine.name;
  process.env.TEST_REAL_MONGODB = engine.kind === 'jongodb' ? '' : '1';
  process.env.TEST_MONGOD_BINARY = engine.binary ?? '';
  (globalThis as { __ENGINE__?: typeof engine }).__ENGINE__ = engine;
  for (const note of engine.notes) process.stdout.write(`\n[tests] ${note}`);
  process.stdout.write(`\n[tests] database engine: ${engine.name}\n`);
}
