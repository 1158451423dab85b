// `npm run build`: the API (tsc), the SDK's generated documents (codegen),
// the SDK (tsup) and the web client (vite), each only when one of its
// inputs is newer than its last successful build, or an output is missing.
//   --quiet  print a step's output only when it fails (npm start)
//   --force  build every step
//   --only <step,...>  just these steps (api, codegen, sdk, web)
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root, runCommand } from './run-command.mjs';

const bin = (name) => path.join(root, 'node_modules/.bin', name);
const STAMPS = path.join(root, 'node_modules/.cache/ticket-build');

/** Every step with what it reads and writes. The lock file is everyone's input: new packages rebuild all. */
const STEPS = [
  {
    name: 'api',
    inputs: ['packages/api/src', 'packages/api/tsconfig.build.json', 'packages/api/package.json', 'tsconfig.json'],
    outputs: ['packages/api/dist/cli/serve.js'],
    command: [bin('tsc'), '-p', 'packages/api/tsconfig.build.json'],
  },
  {
    name: 'codegen',
    inputs: ['schema.graphql', 'codegen.ts', 'packages/sdk/src/operations', 'scripts/trusted-documents.mjs'],
    outputs: [
      'packages/sdk/src/generated/graphql.ts',
      'packages/sdk/src/generated-documents/graphql.ts',
      'packages/api/generated/trusted-documents.json',
    ],
    command: [bin('graphql-codegen'), '--config', 'codegen.ts'],
  },
  {
    name: 'sdk',
    inputs: [
      'packages/sdk/src',
      'packages/sdk/tsup.config.ts',
      'packages/sdk/tsconfig.json',
      'packages/sdk/package.json',
    ],
    outputs: ['packages/sdk/dist/index.js', 'packages/sdk/dist/index.d.ts'],
    command: ['npm', 'run', 'build', '-w', 'packages/sdk'],
  },
  {
    name: 'web',
    inputs: [
      'packages/web/src',
      'packages/web/public',
      'packages/web/index.html',
      'packages/web/vite.config.ts',
      'packages/web/package.json',
      'packages/sdk/dist',
      'packages/web/explorer',
    ],
    outputs: ['packages/web/dist/index.html', 'packages/web/dist/explorer/index.html'],
    command: ['npm', 'run', 'build', '-w', 'packages/web'],
  },
];

/** The newest modification time (ms) under these paths; missing ones count as 0. */
function newest(paths) {
  let max = 0;
  const visit = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== 'node_modules') visit(path.join(p, e));
    } else if (st.mtimeMs > max) max = st.mtimeMs;
  };
  for (const p of paths) visit(path.join(root, p));
  return max;
}

function stale(step) {
  const stamp = path.join(STAMPS, `${step.name}.stamp`);
  if (!existsSync(stamp) || step.outputs.some((o) => !existsSync(path.join(root, o)))) return true;
  return newest([...step.inputs, 'package-lock.json']) > statSync(stamp).mtimeMs;
}

const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const force = args.includes('--force');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1].split(',')) : null;

mkdirSync(STAMPS, { recursive: true });
for (const step of STEPS) {
  if (only && !only.has(step.name)) continue;
  if (!force && !stale(step)) continue;
  const startedAt = new Date();
  if (!quiet) process.stderr.write(`build: ${step.name}\n`);
  // Its output goes to the terminal, or (quiet) only when it fails.
  const { ok, output } = await runCommand(step.command, quiet);
  const stamp = path.join(STAMPS, `${step.name}.stamp`);
  if (!ok) {
    if (quiet) process.stderr.write(output);
    process.stderr.write(`build: ${step.name} failed (${step.command.join(' ')})\n`);
    process.exit(1);
  }
  // Stamped with the time the step began: an input saved while it ran is newer, so it builds again.
  writeFileSync(stamp, '');
  utimesSync(stamp, startedAt, startedAt);
}
