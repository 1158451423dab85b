// Every package a file imports is declared by the package.json it belongs
// to, so a clean install of that package alone has it (npm hoisting would
// otherwise hide a missing entry until the layout changes). Source files
// count a workspace's dependencies (and peer/optional ones); tests, scripts
// and build configuration may also use its devDependencies and the root's.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../../..');
const CODE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', 'test-artifacts', '.data']);

interface Manifest {
  name?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
const names = (...lists: (Record<string, string> | undefined)[]) => new Set(lists.flatMap((l) => Object.keys(l ?? {})));

function* codeFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (SKIP_DIRS.has(entry) || entry.startsWith('.')) continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yield* codeFiles(full);
    else if (CODE.test(entry) && !entry.endsWith('.d.ts')) yield full;
  }
}

/** The package an import specifier names, or null for relative paths and Node's builtins. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  return builtinModules.includes(name) ? null : name;
}

/** Every module specifier of a file: imports, exports, require() and import(). */
function specifiersOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** Undeclared imports as "file: package", for every workspace and the root's own files. */
function undeclaredImports(): string[] {
  const root = readManifest(ROOT);
  const rootDev = names(root.dependencies, root.devDependencies);
  const problems: string[] = [];
  const check = (file: string, allowed: Set<string>) => {
    for (const spec of specifiersOf(file)) {
      const pkg = packageOf(spec);
      if (pkg && !allowed.has(pkg)) problems.push(`${path.relative(ROOT, file)}: ${pkg}`);
    }
  };
  for (const ws of root.workspaces ?? []) {
    const dir = path.join(ROOT, ws);
    const m = readManifest(dir);
    const runtime = names(m.dependencies, m.peerDependencies, m.optionalDependencies);
    if (m.name) runtime.add(m.name); // a package may import itself by name
    const development = new Set([...runtime, ...names(m.devDependencies), ...rootDev]);
    for (const file of codeFiles(dir)) {
      const inSrc = path.relative(dir, file).split(path.sep)[0] === 'src';
      check(file, inSrc ? runtime : development);
    }
  }
  // The root's own files (build configuration, scripts, bench) use the root's packages.
  const rootFiles = readdirSync(ROOT)
    .filter((f) => CODE.test(f))
    .map((f) => path.join(ROOT, f));
  for (const file of [...rootFiles, ...codeFiles(path.join(ROOT, 'scripts')), ...codeFiles(path.join(ROOT, 'bench'))])
    check(file, rootDev);
  return problems;
}

describe('declared dependencies', () => {
  it('names packages, not builtins or relative paths', () => {
    expect(packageOf('mongodb')).toBe('mongodb');
    expect(packageOf('@apollo/server/plugin/disabled')).toBe('@apollo/server');
    expect(packageOf('graphql-ws/use/ws')).toBe('graphql-ws');
    expect(packageOf('node:fs')).toBeNull();
    expect(packageOf('crypto')).toBeNull();
    expect(packageOf('../db/connection')).toBeNull();
  });

  it('finds imports of every kind in a file', () => {
    const text =
      "import a from 'a'; import type { B } from '@b/c/d'; export * from 'e'; const f = require('f'); void import('g');";
    expect(ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName)).toEqual([
      'a',
      '@b/c/d',
      'e',
      'f',
      'g',
    ]);
  });

  it('every import of every workspace is declared by its package.json', () => {
    expect(undeclaredImports()).toEqual([]);
  });
});
