// Attachments as one piece for the composition root (http/app.ts): the
// service, its HTTP routes, its metrics and its background sweep.
import type { IncomingMessage } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/logger';
import type { Principal } from '../tokens/scopes';
import type { AttachmentConfig } from './attachment.config';
import { attachmentRoutes } from './attachment.routes';
import { attachmentMetrics } from './attachment.metrics';
import { AttachmentService } from './attachment.service';
import { GridFsStore } from './gridfs-store';
import { signingKey, UrlSigner } from './signing';
import { database } from '../db/database';

export interface AttachmentsOptions {
  config: AttachmentConfig;
  log: Logger;
  /** The metrics registry, when metrics are on. */
  registry?: Registry;
  /** Throws RATE_LIMITED when this address has spent its invalid budget (http/rate-limit.ts), as /graphql refuses it. */
  refuseIfSpent?(ip: string): Promise<void>;
  /** The caller of a bearer token; a bad one is charged to its address (http/app.ts). */
  principalOf(authorization: string | undefined, ip: string): Promise<Principal | null>;
  ipOf(req: IncomingMessage): string;
}

export interface Attachments {
  service: AttachmentService;
  /** Answers PUT /uploads/<id> and GET /attachments/<id>; false for any other request. */
  route: ReturnType<typeof attachmentRoutes>;
  /** Start the sweep of unreferenced uploads. */
  start(): void;
  stop(): Promise<void>;
}

export async function createAttachments({
  config,
  log,
  registry,
  principalOf,
  refuseIfSpent,
  ipOf,
}: AttachmentsOptions): Promise<Attachments> {
  const db = database();
  const signer = new UrlSigner(await signingKey(db, config.signingKey));
  const service = new AttachmentService(
    config,
    new GridFsStore(db),
    signer,
    registry ? attachmentMetrics(registry) : {},
  );
  const route = attachmentRoutes({
    service,
    principalOf,
    refuseIfSpent,
    ipOf,
    idleTimeoutMs: config.idleTimeoutMs,
    maxDownloadsPerAddress: config.maxDownloadsPerAddress,
    maxDownloads: config.maxDownloads,
    log,
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | null = null;
  const sweep = () => {
    // One round at a time in this process; rounds in other processes are harmless (see sweep()).
    if (running) return;
    running = service
      .sweep()
      .then((removed) => removed && log.info({ removed }, 'attachments: unreferenced uploads removed'))
      .catch((err) => log.warn({ err }, 'attachments: sweep failed; next round retries'))
      .finally(() => {
        running = null;
      });
  };
  return {
    service,
    route,
    start() {
      timer = setInterval(sweep, config.sweepIntervalSeconds * 1000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
