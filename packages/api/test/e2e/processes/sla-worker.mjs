// One SLA worker in a process of its own (sla-fence.test.ts), built code
// only: MONGODB_URI, SLA_INTERVAL_MS. With SLA_STALL=1 it freezes itself
// (SIGSTOP) just before its first write of ticket states, so that the test
// can let another process take the lease over and then thaw it; it then
// finishes that round, says how it ended and exits.
// Lines on stdout: `STALLING`, `ROUND <announced|error name>`, and the logger's JSON.
import { setTimeout as sleep } from 'node:timers/promises';

const dist = new URL('../../../dist/', import.meta.url);
const { connectDatabase, disconnectDatabase } = await import(new URL('db/connection.js', dist));
const { TicketSlaStateModel } = await import(new URL('sla/ticket-sla.model.js', dist));
const { SlaService } = await import(new URL('sla/sla.service.js', dist));
const { SlaWorker } = await import(new URL('sla/sla-worker.js', dist));
const { FeedService } = await import(new URL('feed/feed.service.js', dist));
const { createLogger } = await import(new URL('logging/logger.js', dist));

await connectDatabase(process.env.MONGODB_URI, 10_000);
const stall = process.env.SLA_STALL === '1';
let stalled = false;
if (stall) {
  const col = TicketSlaStateModel.collection;
  for (const method of ['bulkWrite', 'insertMany', 'deleteMany', 'updateMany']) {
    const original = col[method].bind(col);
    col[method] = (...args) => {
      if (!stalled) {
        stalled = true;
        process.stdout.write('STALLING\n');
        process.kill(process.pid, 'SIGSTOP');
      }
      return original(...args);
    };
  }
}
const worker = new SlaWorker(
  new SlaService(),
  new FeedService(),
  { intervalMs: Number(process.env.SLA_INTERVAL_MS ?? 500) },
  createLogger('info'),
);
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
while (!stopping) {
  const ended = await worker.round().then(
    (n) => String(n),
    (err) => err.name,
  );
  process.stdout.write(`ROUND ${ended}\n`);
  if (stalled) break;
  await sleep(Number(process.env.SLA_INTERVAL_MS ?? 500));
}
await worker.stop();
await disconnectDatabase();
process.exit(0);
