// Bulk changes as one piece for the composition roots: resolver and models;
// compose.ts builds the service and the worker every API process runs.
// Nothing to erase (jobs hold ticket numbers and error messages, no
// customer's data), the worker to start and stop.
import type { Logger } from '../logging/logger';
import type { Capability } from '../capability';
import type { TicketService } from '../tickets/ticket.service';
import { BulkResolver } from './bulk.resolver';
import { BulkService, type BulkSources } from './bulk.service';
import { BULK_WORKER_DEFAULTS, BulkWorker, type BulkWorkerOptions } from './bulk.worker';
import { bulkModels } from './models';
export { BulkResolver } from './bulk.resolver';
export { BulkService } from './bulk.service';
export { BulkWorker } from './bulk.worker';
export { bulkModels } from './models';

export const bulkCapability: Capability = { name: 'bulk', models: bulkModels, resolvers: [BulkResolver] };

/** The service (for the operations' context) and the worker behind it, started and stopped with the process. */
export function createBulk(
  tickets: TicketService,
  sources: BulkSources,
  log: Logger,
  options: BulkWorkerOptions = BULK_WORKER_DEFAULTS,
): { service: BulkService; start(): void; stop(): Promise<void> } {
  // The service tells the worker of a new job; the worker runs the service: built one after the other.
  const service = new BulkService(tickets, log, sources, () => worker.nudge());
  const worker: BulkWorker = new BulkWorker(service, log, options);
  return { service, start: () => worker.start(), stop: () => worker.stop() };
}
