// The command-line tools find the embedded engine of a running `npm start`
// through DATA_DIR/engine.json, and only while that server lives.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliDatabase, forgetRunningEngine, recordRunningEngine } from '../../src/db/running-engine';

describe('running engine', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'engine-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("MONGODB_URI first; else the running server's engine; else what to do", () => {
    expect(cliDatabase({ mongodbUri: 'mongodb://db/x', dataDir: dir })).toEqual({
      uri: 'mongodb://db/x',
      from: 'MONGODB_URI',
    });
    expect(cliDatabase({ dataDir: dir })).toEqual({ missing: expect.stringContaining('npm start') });
    recordRunningEngine(dir, 'mongodb://127.0.0.1:1234/tickets', 'jongodb');
    expect(statSync(join(dir, 'engine.json')).mode & 0o777).toBe(0o600);
    expect(cliDatabase({ dataDir: dir })).toEqual({
      uri: 'mongodb://127.0.0.1:1234/tickets',
      from: expect.stringContaining(`process ${process.pid}`),
    });
    forgetRunningEngine(dir);
    expect(cliDatabase({ dataDir: dir })).toHaveProperty('missing');
  });

  it('ignores the file a killed server left behind', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    writeFileSync(
      join(dir, 'engine.json'),
      JSON.stringify({ uri: 'mongodb://127.0.0.1:1/tickets', pid, engine: 'jongodb' }),
    );
    expect(cliDatabase({ dataDir: dir })).toHaveProperty('missing');
  });

  it('a server that stops removes only its own record', () => {
    writeFileSync(
      join(dir, 'engine.json'),
      JSON.stringify({ uri: 'mongodb://other/x', pid: process.ppid, engine: 'mongod' }),
    );
    forgetRunningEngine(dir);
    expect(JSON.parse(readFileSync(join(dir, 'engine.json'), 'utf8')).uri).toBe('mongodb://other/x');
  });
});
