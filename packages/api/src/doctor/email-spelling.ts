// Bringing stored emails to their one spelling (tickets/email-spelling.ts):
// tickets written before the rule (lower-cased only) may hold a spelling
// no lookup makes any more. Run at every start (http/app.ts) and by
// `doctor --fix`. Safe with any number of processes at once: each change
// is conditional on the spelling it replaces, so it is made once and a
// second run changes nothing. A marker (migration-markers.ts)
// spares later starts the scan; `doctor --fix` scans regardless.
import type { Types } from 'mongoose';
import type { Logger } from '../logging/logger';
import { markMigrationDone, migrationDone } from './migration-markers';
import { normalizeEmail } from '../tickets/email-spelling';
import type { TicketStore } from '../tickets/ticket.store';

const MARKER = 'email-spelling-1';

/** Respell every stored customer email that is not in its one spelling; how many tickets changed. */
export async function respellStoredEmails(
  store: TicketStore,
  log: Pick<Logger, 'info'>,
  { force = false } = {},
): Promise<number> {
  if (!force && (await migrationDone(MARKER))) return 0;
  let changed = 0;
  const cursor = store.each<{ _id: Types.ObjectId; customerEmail?: unknown }>(
    { customerEmail: { $type: 'string' } },
    { customerEmail: 1 },
  );
  for await (const doc of cursor) {
    const stored = doc.customerEmail;
    if (typeof stored !== 'string') continue;
    const spelt = normalizeEmail(stored);
    if (spelt === stored) continue;
    // Only if still the old spelling: another process (or an erasure) may have changed it meanwhile.
    changed += await store.replaceIfStill(doc._id, 'customerEmail', stored, spelt);
  }
  await markMigrationDone(MARKER, new Date());
  if (changed) log.info({ tickets: changed }, 'stored customer emails brought to their one spelling');
  return changed;
}
