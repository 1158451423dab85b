// Every capability's erasers (customers/eraser.ts), in one list for the
// composition roots (http/app.ts, cli/customers.ts), so the API and the CLI
// erase the same things. A capability that keeps data derived from a
// ticket adds its eraser here.
import type { Db } from 'mongodb';
import { attachmentEraser } from './attachments/attachment-eraser';
import { GridFsStore } from './attachments/gridfs-store';
import type { Config } from './config/config';
import { BUILT_IN_ERASERS } from './customers/customers.service';
import type { Eraser } from './customers/eraser';
import { rateLimitEraser } from './http/rate-limit';
import { searchEraser } from './search';

export function erasers(config: Pick<Config, 'rateLimitStore'>, db: Db): readonly Eraser[] {
  return [...BUILT_IN_ERASERS, attachmentEraser(new GridFsStore(db)), searchEraser, ...(config.rateLimitStore === 'mongo' ? [rateLimitEraser] : [])];
}
