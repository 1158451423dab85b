// `npm run doctor [-- --fix] [-- --json]`: inspect (default, changes
// nothing) or repair ticket numbering. Exit 0 only when healthy.
import 'reflect-metadata';
import { respellStoredEmails } from '../doctor/email-spelling';
import {
  formatAttachmentReport,
  formatAttachmentRepair,
  inspectAttachmentsReport,
  repairAttachments,
} from '../attachments/attachment.doctor';
import { connectDatabase, disconnectDatabase } from '../db/connection';
import { database } from '../db/database';
import { TicketStore } from '../tickets/ticket.store';
import { inspect } from '../doctor/inspect';
import { repair } from '../doctor/repair';
import { formatRepair, formatReport } from '../doctor/report-format';
import { createLogger } from '../logging/logger';
import { loadConfig } from '../config/config';

const USAGE = 'usage: MONGODB_URI=mongodb://... npm run doctor [-- --fix] [--json] [--progress]';

async function main(): Promise<number> {
  const args = new Set(process.argv.slice(2));
  for (const a of args)
    if (!['--fix', '--json', '--progress', '--help'].includes(a)) {
      process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
      return 2;
    }
  if (args.has('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig();
  if (!config.mongodbUri) {
    process.stderr.write(`MONGODB_URI is not set: the doctor works on an existing database.\n${USAGE}\n`);
    return 2;
  }
  const format = { prefix: config.ticketPrefix, pad: config.ticketPad };
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const json = args.has('--json');
  const showProgress = args.has('--progress') || (process.stderr.isTTY && !json);
  const progress = (stage: string, done: number) => {
    if (!showProgress) return;
    process.stderr.write(process.stderr.isTTY ? `\r${stage}: ${done} tickets   ` : `${stage}: ${done}\n`);
  };

  await connectDatabase(config.mongodbUri, Math.max(config.dbTimeoutMs, 10_000));
  try {
    if (args.has('--fix')) {
      const batchSize = Number(process.env.DOCTOR_BATCH_SIZE) || undefined;
      const result = await repair({ log, onProgress: progress, batchSize, format });
      if (showProgress && process.stderr.isTTY) process.stderr.write('\n');
      const attachments = await repairAttachments(database());
      const emailsRespelt = await respellStoredEmails(new TicketStore(log, format), log, { force: true });
      process.stdout.write(
        json
          ? JSON.stringify({ ...result, attachments, emailsRespelt }, null, 2) + '\n'
          : `${formatRepair(result)}\n\n${formatAttachmentRepair(attachments)}\nemails brought to their one spelling: ${emailsRespelt}\n`,
      );
      return result.after.healthy && attachments.after.healthy && !result.errors.length ? 0 : 1;
    }
    const report = await inspect();
    // Attachments are checked here, not in inspect(): the API's start-up guard runs that one.
    const attachments = await inspectAttachmentsReport(database());
    process.stdout.write(
      json
        ? JSON.stringify({ ...report, healthy: report.healthy && attachments.healthy, attachments }, null, 2) + '\n'
        : `${formatReport(report)}\n\n${formatAttachmentReport(attachments)}\n`,
    );
    return report.healthy && attachments.healthy ? 0 : 1;
  } finally {
    await disconnectDatabase();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`doctor failed: ${(err as Error).message}\n`);
    process.exit(3);
  },
);
