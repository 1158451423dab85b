// Each capability hands its models to the composition root (src/models.ts);
// db/ builds their indexes without knowing any of them. A model that is not
// handed over would run without its indexes: this catches it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { MODELS } from '../../src/capabilities';

const SRC = path.resolve(__dirname, '../../src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );

describe('models', () => {
  it('every model of every capability is handed to the composition root', async () => {
    const defined: string[] = [];
    for (const file of files(SRC).filter((f) => f.endsWith('.model.ts'))) {
      const exports = (await import(file)) as Record<string, unknown>;
      for (const value of Object.values(exports)) {
        if (typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof mongoose.Model)
          defined.push((value as mongoose.Model<unknown>).modelName);
      }
    }
    expect(defined.length).toBeGreaterThan(0);
    // Index-only entries (a capability's indexes on another's collection) have no model name.
    expect(
      MODELS.map((m) => (m as unknown as mongoose.Model<unknown>).modelName)
        .filter(Boolean)
        .sort(),
    ).toEqual(defined.sort());
  });

  it('db/ imports no capability', () => {
    for (const file of files(path.join(SRC, 'db'))) {
      const imports = [...readFileSync(file, 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)].map((m) => m[1]);
      expect({
        file: path.basename(file),
        imports: imports.filter((i) => !/^\.\.\/(logging|config|telemetry)\//.test(i)),
      }).toEqual({ file: path.basename(file), imports: [] });
    }
  });
});
