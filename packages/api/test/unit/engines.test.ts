// `npm ci` on every Node we support prints no EBADENGINE: each locked
// package accepts the lowest Node of engines.node and the newest line CI
// runs (24). A dependency that raises its floor fails here, not on a
// newcomer's first install (package.json "//" says which ones are pinned and why).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));

describe('engines', () => {
  const manifest = read('package.json');
  const lock = read('package-lock.json') as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
  };
  const floor = semver.minVersion(manifest.engines.node)!.version;
  const nodes = [floor, '24.0.0'];

  it('every locked package accepts the Node versions we support', () => {
    const refusing: string[] = [];
    for (const [where, pkg] of Object.entries(lock.packages)) {
      const wanted = !Array.isArray(pkg.engines) ? pkg.engines?.node : undefined;
      if (!where || !wanted) continue;
      for (const node of nodes)
        if (!semver.satisfies(node, wanted)) refusing.push(`${where}@${pkg.version} wants node ${wanted}, not ${node}`);
    }
    expect(refusing).toEqual([]);
  });

  it('the floor is 20.19 (require() of ES modules, which file-type needs)', () => {
    expect(floor).toBe('20.19.0');
  });

  it('every package with an install script is decided in allowScripts', () => {
    const decided = new Set(Object.keys(manifest.allowScripts ?? {}));
    const undecided = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
      .filter(([where, pkg]) => where.includes('node_modules/') && pkg.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .filter((name) => !decided.has(name));
    expect(undecided).toEqual([]);
  });
});
