// `npm test`'s checks (the schema and docs/api.md, types, lint, formatting;
// test.mjs runs them beside the suite), run side by side: each is one
// process on one core, so together they take about as long as the longest
// instead of their sum. Each one's output is printed whole once it ends, in
// the order below; the exit code is 1 when any failed, and the last line
// names them.
import { runCommand } from './run-command.mjs';

const CHECKS = ['schema:check', 'typecheck', 'lint', 'format:check'];

const results = await Promise.all(
  CHECKS.map(async (name) => ({ name, ...(await runCommand(['npm', 'run', name, '--silent'], true)) })),
);
for (const { output } of results) process.stdout.write(output);
const failed = results.filter((r) => !r.ok).map((r) => r.name);
if (failed.length) {
  process.stderr.write(`checks failed: ${failed.join(', ')} (npm run <name> runs one alone)\n`);
  // Not process.exit: output to a pipe must get out first.
  process.exitCode = 1;
}
