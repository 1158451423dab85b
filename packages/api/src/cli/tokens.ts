// `npm run tokens -- create|list|revoke`: named API tokens, kept in the
// database given by MONGODB_URI, or else the embedded one a running
// `npm start` uses (db/running-engine.ts). The secret is printed once, at creation.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { connectDatabase, disconnectDatabase } from '../db/connection';
import { cliDatabase } from '../db/running-engine';
import { SCOPES } from '../tokens/scopes';
import { ApiTokenModel } from '../tokens/api-token.model';
import { TokenError, TokenService, type TokenInfo } from '../tokens/token.service';

const USAGE = `usage (with MONGODB_URI set, or while npm start runs):
  npm run tokens -- create --name <name> --scopes <scope,scope> [--json]
  npm run tokens -- list [--json]
  npm run tokens -- revoke --name <name>
scopes: ${SCOPES.join(', ')}`;

const when = (d: Date | null) => (d ? d.toISOString() : '-');

function table(tokens: TokenInfo[]): string {
  if (!tokens.length) return 'no tokens';
  const rows = tokens.map((t) => [
    t.name,
    t.scopes.join(','),
    when(t.createdAt),
    when(t.lastUsedAt),
    t.revokedAt ? `revoked ${when(t.revokedAt)}` : 'active',
  ]);
  const head = ['NAME', 'SCOPES', 'CREATED', 'LAST USED', 'STATE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        scopes: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (!['create', 'list', 'revoke'].includes(command) || positionals.length > 1) {
    process.stderr.write(`unknown command "${positionals.join(' ')}"\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const database = cliDatabase(config);
  if ('missing' in database) {
    process.stderr.write(`Tokens live in the database the API uses. ${database.missing}\n`);
    return 2;
  }
  if (database.from !== 'MONGODB_URI') process.stderr.write(`(using ${database.from})\n`);

  await connectDatabase(database.uri, Math.max(config.dbTimeoutMs, 10_000));
  try {
    await ApiTokenModel.createIndexes();
    const tokens = new TokenService([]);
    if (command === 'create') {
      if (!values.name || values.scopes === undefined) {
        process.stderr.write(`create needs --name and --scopes\n${USAGE}\n`);
        return 2;
      }
      const created = await tokens.create(
        values.name,
        values.scopes
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      if (values.json) process.stdout.write(`${JSON.stringify(created)}\n`);
      else
        process.stdout.write(
          `Created token "${created.name}" (${created.scopes.join(', ')}). Its secret, shown only now:\n\n  ${created.token}\n\nSend it as: Authorization: Bearer <secret>\n`,
        );
      return 0;
    }
    if (command === 'list') {
      const list = await tokens.list();
      process.stdout.write(values.json ? `${JSON.stringify(list)}\n` : `${table(list)}\n`);
      return 0;
    }
    if (!values.name) {
      process.stderr.write(`revoke needs --name\n${USAGE}\n`);
      return 2;
    }
    await tokens.revoke(values.name);
    process.stdout.write(`Revoked "${values.name}": every API process refuses it within 10 seconds.\n`);
    return 0;
  } catch (err) {
    if (err instanceof TokenError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await disconnectDatabase();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`tokens failed: ${(err as Error).message}\n`);
    process.exit(3);
  },
);
