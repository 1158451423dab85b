// The default store: GridFS in the API's own database, so attachments are
// backed up with the tickets. Files take the attachment's id, which makes
// removing a half-written upload (chunks without a files document) one query.
import { Readable, Writable } from 'node:stream';
import type { Binary, Db } from 'mongodb';
import { GridFSBucket } from 'mongodb';
import type { Types } from 'mongoose';
import type { AttachmentStore } from './attachment.store';

/** attachment_files.files and attachment_files.chunks. */
export const BUCKET = 'attachment_files';
/**
 * Chunks (255 KiB each) fetched per round trip when reading. The driver's
 * own download stream leaves the batch to the server, whose first batch
 * may hold a whole 10 MiB file.
 */
const READ_BATCH = 2;

export class GridFsStore implements AttachmentStore {
  private readonly bucket: GridFSBucket;
  /** Writes still reaching the database, by id (every one: a chunk insert and the abort can overlap): a removal waits for them all, or a late chunk would outlive it. */
  private readonly writing = new Map<string, Set<Promise<void>>>();

  constructor(private readonly db: Db) {
    this.bucket = new GridFSBucket(db, { bucketName: BUCKET });
  }

  writer(id: Types.ObjectId, filename: string, contentType: string): Writable {
    const upload = this.bucket.openUploadStreamWithId(id, filename, { metadata: { contentType } });
    const key = String(id);
    const track = (done: Promise<void>) => {
      let pending = this.writing.get(key);
      if (!pending) this.writing.set(key, (pending = new Set()));
      const set = pending;
      set.add(done);
      void done.then(() => {
        set.delete(done);
        if (!set.size && this.writing.get(key) === set) this.writing.delete(key);
      });
    };
    const sink = new Writable({
      // Each write waits for the driver (its callback comes once a full chunk is inserted).
      write(chunk: Buffer, _enc, done) {
        track(
          new Promise((settled) =>
            upload.write(chunk, (err) => {
              settled();
              done(err ?? null);
            }),
          ),
        );
      },
      final(done) {
        track(new Promise((settled) => upload.end(() => settled())));
        upload.once('finish', () => done());
        upload.once('error', done);
      },
      // A refused or cut-off upload: the driver drops what it wrote and writes nothing more.
      destroy(err, done) {
        if (upload.writableFinished) return done(err);
        track(upload.abort().catch(() => {}));
        done(err);
      },
    });
    upload.on('error', (err) => sink.destroy(err));
    return sink;
  }

  reader(id: Types.ObjectId): Readable {
    const db = this.db;
    return Readable.from(
      (async function* () {
        const file = await db.collection(`${BUCKET}.files`).findOne({ _id: id });
        if (!file) throw new Error(`attachment ${String(id)}: no stored file`);
        const cursor = db
          .collection(`${BUCKET}.chunks`)
          .find({ files_id: id }, { sort: { n: 1 }, batchSize: READ_BATCH });
        let n = 0;
        let length = 0;
        try {
          for await (const chunk of cursor) {
            if (chunk.n !== n++) throw new Error(`attachment ${String(id)}: chunk ${n - 1} missing`);
            // A view, not a copy: garbage is memory too until the collector runs.
            const bytes = (chunk.data as Binary).buffer;
            const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            length += data.length;
            yield data;
          }
        } finally {
          await cursor.close();
        }
        if (length !== file.length)
          throw new Error(`attachment ${String(id)}: ${length} of ${file.length} bytes stored`);
      })(),
      { objectMode: false },
    );
  }

  async remove(id: Types.ObjectId): Promise<void> {
    for (let pending = this.writing.get(String(id)); pending?.size; pending = this.writing.get(String(id)))
      await Promise.all([...pending]);
    // Chunks first: a files document without chunks would read as an empty file.
    await this.db.collection(`${BUCKET}.chunks`).deleteMany({ files_id: id });
    await this.db.collection(`${BUCKET}.files`).deleteOne({ _id: id });
  }
}
