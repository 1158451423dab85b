// `npm run customers -- export|erase|audit --email <e>`: customers' data
// requests from the command line, on the database given by MONGODB_URI,
// with the same rules (and erasers) as the API.
// Exit codes: 0 done; 1 erasure not confirmed (nothing erased); 2 usage,
// a bad email or MONGODB_URI unset (nothing done); 3 anything else failed.
import 'reflect-metadata';
import { createInterface } from 'node:readline/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { GraphQLError } from 'graphql';
import pino from 'pino';
import { loadConfig } from '../config/config';
import { cliDatabase } from '../db/running-engine';
import { connectDatabase, disconnectDatabase, ensureIndexes } from '../db/connection';
import { CustomerService } from '../customers/customer.service';
import { erasers } from '../compose';
import { database as connectedDatabase } from '../db/database';
import { TicketStore } from '../tickets/ticket.store';
import { customerModels } from '../customers/models';
import { exportJson } from '../customers/export.service';
import { createLogger } from '../logging/logger';
import { leaveTally } from '../customers/erasure-tally';
import { checkEmail } from '../tickets/ticket.validation';

const USAGE = `usage (with MONGODB_URI set, or while npm start runs):
  npm run customers -- export --email <email>              everything held about it, as JSON on stdout
  npm run customers -- erase --email <email> [--yes] [--json]
                                                           erase it from every ticket (asks first unless --yes)
  npm run customers -- audit --email <email> [--json]      the audit trail of requests about it
exit codes: 0 done, 1 erasure not confirmed, 2 usage or MONGODB_URI unset, 3 failure`;

/** Who asked, for the audit trail: the operator's account. */
const cliActor = () => `cli:${process.env.USER || safeUser()}`;
function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Ask on stderr (stdout is for results); only "yes" goes ahead. */
async function confirmed(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  try {
    process.stderr.write(
      'Erase this customer\'s personal data from every ticket? This cannot be undone. Type "yes" to go on: ',
    );
    const answer = await Promise.race([
      rl.question(''),
      new Promise<string>((resolve) => rl.once('close', () => resolve(''))),
    ]);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        email: { type: 'string' },
        yes: { type: 'boolean' },
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
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!command || !['export', 'erase', 'audit'].includes(command) || positionals.length > 1) {
    process.stderr.write(`unknown command "${positionals.join(' ')}"\n${USAGE}\n`);
    return 2;
  }
  if (!values.email) {
    process.stderr.write(`${command} needs --email\n${USAGE}\n`);
    return 2;
  }
  // Checked before anything is asked or opened: a bad email is a usage error (2), whatever the command.
  const checked = checkEmail(values.email, 'email');
  if (!checked.ok) {
    process.stderr.write(`--email ${checked.problems[0].message}\n`);
    return 2;
  }
  const email = checked.value;
  const config = loadConfig();
  const database = cliDatabase(config);
  if ('missing' in database) {
    process.stderr.write(`Customers' data lives in the database the API uses. ${database.missing}\n`);
    return 2;
  }
  if (command === 'erase' && !values.yes && !(await confirmed())) {
    process.stderr.write('Not confirmed: nothing erased.\n');
    return 1;
  }

  // Logs to stderr: stdout carries the export's (or --json's) JSON alone.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2));
  await connectDatabase(database.uri, Math.max(config.dbTimeoutMs, 10_000));
  try {
    await ensureIndexes(customerModels, log);
    // The same erasers as the API's (compose.ts).
    // Its erasures reach the API's tickets_erased_total through a tally (customers/erasure-tally.ts).
    const tickets = new TicketStore(log);
    const customers = new CustomerService(
      log,
      tickets,
      erasers(config, connectedDatabase(), tickets),
      { onErased: leaveTally },
      { key: config.customers.auditKey },
    );
    const actor = cliActor();
    if (command === 'export') {
      process.stdout.write(`${JSON.stringify(exportJson(await customers.export(email, actor)), null, 2)}\n`);
      return 0;
    }
    if (command === 'erase') {
      const report = await customers.erase(email, actor);
      // The API's sequencers give the ERASED events their feed places (webhooks, subscribers) within seconds.
      if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else
        process.stdout.write(
          `Erased ${report.tickets} ticket(s): ${report.events} event text(s), ${report.attachments} attachment(s). Integrators learn it from ticket.erased.\n`,
        );
      return 0;
    }
    const entries = await customers.audit.entriesFor(email);
    if (values.json)
      process.stdout.write(
        `${JSON.stringify(entries.map(({ action, actor: who, at, tickets, events, attachments }) => ({ action, actor: who, at, tickets, events, attachments })))}\n`,
      );
    else
      process.stdout.write(
        entries.length
          ? `${entries.map((e) => `${e.at.toISOString().slice(0, 10)}  ${e.action.padEnd(9)} ${e.actor.padEnd(20)} tickets ${e.tickets}${e.events === undefined ? '' : `, events ${e.events}, attachments ${e.attachments ?? 0}`}`).join('\n')}\n`
          : 'no requests recorded for this email\n',
      );
    return 0;
  } catch (err) {
    if (err instanceof GraphQLError && err.extensions.code === 'BAD_USER_INPUT') {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await disconnectDatabase();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`customers failed: ${(err as Error).name}\n`);
    process.exit(3);
  },
);
