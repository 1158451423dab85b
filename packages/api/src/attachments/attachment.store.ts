// Where the bytes live, behind the few calls the service needs, so an
// object store can take GridFS's place later.
import type { Readable, Writable } from 'node:stream';
import type { Types } from 'mongoose';

export interface AttachmentStore {
  /** A sink for the bytes of `id`; they count as stored only once it finishes. */
  writer(id: Types.ObjectId, filename: string, contentType: string): Writable;
  /** The bytes of `id`, streamed. */
  reader(id: Types.ObjectId): Readable;
  /** Remove whatever is stored under `id`, complete or partial; nothing there is fine. */
  remove(id: Types.ObjectId): Promise<void>;
}
