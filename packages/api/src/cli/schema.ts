// The schema as a committed artifact: `--write` regenerates schema.graphql
// from the type-graphql classes; `--check` fails when it is out of date,
// so every schema change shows up in review.
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printSchema } from 'graphql';
import { ticketSchema } from '../schema';

const FILE = resolve(__dirname, '../../../../schema.graphql');
const HEADER = '# Generated from packages/api/src by `npm run schema`. Do not edit.\n\n';

export function currentSdl(): string {
  return HEADER + printSchema(ticketSchema()) + '\n';
}

if (require.main === module) {
  const sdl = currentSdl();
  if (process.argv.includes('--write')) {
    writeFileSync(FILE, sdl);
    process.stdout.write(`wrote ${FILE}\n`);
  } else {
    let committed = '';
    try {
      committed = readFileSync(FILE, 'utf8');
    } catch {
      /* missing counts as different */
    }
    if (committed !== sdl) {
      process.stderr.write(
        'schema.graphql is out of date with the code: run `npm run schema` and commit the result.\n',
      );
      process.exit(1);
    }
    process.stdout.write('schema.graphql matches the code\n');
  }
}
