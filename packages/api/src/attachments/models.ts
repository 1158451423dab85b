// The attachments capability's models, handed to the composition root (src/capabilities.ts).
import type { IndexedModel } from '../db/connection';
import { AttachmentModel } from './attachment.model';

export const attachmentModels: readonly IndexedModel[] = [AttachmentModel];
