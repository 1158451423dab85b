// The default store: GridFS in the API's own database, so attachments are
// backed up with the tickets. Files take the attachment's id, which makes
// removing a half-written upload (chunks without a files document) one query.
import type { Db } from 'mongodb';
import { GridFSBucket } from 'mongodb';
import type { Types } from 'mongoose';
import type { AttachmentStore } from './attachment-store';

/** attachment_files.files and attachment_files.chunks. */
export const BUCKET = 'attachment_files';

export class GridFsStore implements AttachmentStore {
  private readonly bucket: GridFSBucket;

  constructor(private readonly db: Db) {
    this.bucket = new GridFSBucket(db, { bucketName: BUCKET });
  }

  writer(id: Types.ObjectId, filename: string, contentType: string) {
    return this.bucket.openUploadStreamWithId(id, filename, { metadata: { contentType } });
  }

  reader(id: Types.ObjectId) {
    return this.bucket.openDownloadStream(id);
  }

  async remove(id: Types.ObjectId): Promise<void> {
    // Chunks first: a files document without chunks would read as an empty file.
    await this.db.collection(`${BUCKET}.chunks`).deleteMany({ files_id: id });
    await this.db.collection(`${BUCKET}.files`).deleteOne({ _id: id });
  }
}
