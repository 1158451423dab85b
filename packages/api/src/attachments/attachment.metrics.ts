// Attachment metrics, registered on the API's registry (telemetry/metrics.ts).
import { Counter, type Registry } from 'prom-client';
import type { AttachmentHooks } from './attachment.service';

export function attachmentMetrics(registry: Registry): AttachmentHooks {
  const files = new Counter({
    name: 'attachment_files_stored_total',
    help: 'Uploads stored by this process.',
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'attachment_bytes_stored_total',
    help: 'Bytes of uploads stored by this process.',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'attachment_uploads_refused_total',
    help: 'Uploads and downloads refused, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return {
    onStored(size) {
      files.inc();
      bytes.inc(size);
    },
    onRefused(reason) {
      refused.inc({ reason });
    },
  };
}
