// `npm run schema:check` (and so `npm test`): schema.graphql against the last
// released schema (schema/released/<version>.graphql) and CHANGELOG.md;
// exits 1 with each problem when a breaking or dangerous change is not
// listed (see schema-changes/schema-changes.ts and docs/integrators.md).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { lastVersion, schemaChangeProblems } from '../schema-changes/schema-changes';

const ROOT = resolve(__dirname, '../../../..');

async function main(): Promise<void> {
  const releasedDir = resolve(ROOT, 'schema/released');
  const version = lastVersion(readdirSync(releasedDir));
  if (!version) throw new Error(`no released schema in ${releasedDir}`);
  const problems = await schemaChangeProblems(
    readFileSync(resolve(releasedDir, `${version}.graphql`), 'utf8'),
    readFileSync(resolve(ROOT, 'schema.graphql'), 'utf8'),
    readFileSync(resolve(ROOT, 'CHANGELOG.md'), 'utf8'),
    version,
  );
  if (problems.length) {
    process.stderr.write(
      `schema.graphql against released ${version}:\n${problems.map((p) => `  - ${p.message}`).join('\n')}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`schema.graphql follows ${version} with every change in CHANGELOG.md\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
