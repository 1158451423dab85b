// SLA metrics, registered on the API's registry (telemetry/metrics.ts).
// Breaches are counted by the process that wrote the event (once across
// the deployment); targets met by the process that recomputed the ticket.
import { Counter, type Registry } from 'prom-client';
import type { SlaHooks } from './sla.service';

export function slaMetrics(registry: Registry): Pick<SlaHooks, 'onBreach' | 'onMet'> {
  const breaches = new Counter({
    name: 'sla_breaches_total',
    help: 'SLA targets missed (SLA_BREACHED events written by this process), by metric.',
    labelNames: ['metric'] as const,
    registers: [registry],
  });
  const met = new Counter({
    name: 'sla_targets_met_total',
    help: 'SLA targets met in time, seen by this process, by metric.',
    labelNames: ['metric'] as const,
    registers: [registry],
  });
  return {
    onBreach(metric) {
      breaches.inc({ metric });
    },
    onMet(metric, count) {
      met.inc({ metric }, count);
    },
  };
}
