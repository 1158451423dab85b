// Attachments: uploads into GridFS, referenced from events, served by signed links.
import type { Capability } from '../capability';
import { AttachmentResolver } from './attachment.resolver';
import { attachmentModels } from './models';

export const attachmentsCapability: Capability = {
  name: 'attachments',
  models: attachmentModels,
  resolvers: [AttachmentResolver],
};
export { requestTimeoutMs } from './attachment.config';
export { attachmentEraser } from './attachment.eraser';
export { createAttachments, type Attachments } from './attachments';
export { GridFsStore } from './gridfs-store';
