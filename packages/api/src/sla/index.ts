// Service levels as one piece for the composition root (compose.ts): the
// service, its resolvers, models, metrics and background worker. It keeps
// no customer data (deadlines and flags only), so it has no eraser: a
// ticket's state goes when its ticket does.
import type { Registry } from 'prom-client';
import type { Capability } from '../capability';
import { slaModels } from './models';
import type { FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import type { TicketStore } from '../tickets/ticket.store';
import { slaMetrics } from './sla-metrics';
import { SlaPolicyResolver, TicketSlaResolver } from './sla.resolver';
import { SlaService } from './sla.service';
import { SlaWorker } from './sla-worker';

export { slaModels };
/** Its resolvers, for the schema (capabilities.ts). */
export const slaResolvers = [SlaPolicyResolver, TicketSlaResolver] as const;

export const slaCapability: Capability = { name: 'sla', models: slaModels, resolvers: slaResolvers };

export interface SlaOptions {
  feed: FeedService;
  /** The tickets' store: the SLA reads and writes tickets and events through it. */
  store: TicketStore;
  log: Logger;
  /** The metrics registry, when metrics are on. */
  registry?: Registry;
  /** Timeline events were written (the feed's sequencer places them). */
  onEvents(): void;
  /** Seconds between the worker's rounds (SLA_CHECK_SECONDS). */
  checkSeconds: number;
}

export interface Sla {
  service: SlaService;
  start(): void;
  stop(): Promise<void>;
}

export function createSla({ feed, store, log, registry, onEvents, checkSeconds }: SlaOptions): Sla {
  const service = new SlaService({ onEvents, ...(registry ? slaMetrics(registry) : {}) }, store);
  const worker = new SlaWorker(service, feed, { intervalMs: checkSeconds * 1000 }, log, store);
  return { service, start: () => worker.start(), stop: () => worker.stop() };
}
