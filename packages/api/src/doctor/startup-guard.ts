// At start-up: build the indexes and make sure the counter is not behind
// the data (a restored backup, imported tickets): one indexed query. If the
// unique ticketNumber index cannot be built (duplicates from older
// software), keep serving but first move the counter past every number in
// use, found by a full scan, since without the index no duplicate-key error
// would catch a collision.
import { ensureIndexes, type IndexedModel } from '../db/connection';
import type { Logger } from '../logging/logger';
import { raiseSequenceTo } from '../tickets/counter';
import { moveCounterPastTickets } from '../tickets/numbering';
import { inspect } from './inspect';

export async function prepareNumbering(models: readonly IndexedModel[], log: Logger): Promise<{ healthy: boolean }> {
  const { healthy } = await ensureIndexes(models, log);
  if (healthy) {
    await moveCounterPastTickets();
    return { healthy };
  }
  const report = await inspect();
  await raiseSequenceTo(report.counter.highest);
  log.error(
    { problems: report.problems },
    `ticket numbering needs repair (${report.problems.join('; ')}): run \`npm run doctor -- --fix\`; serving meanwhile with the counter moved past ${report.counter.highest}`,
  );
  return { healthy };
}
