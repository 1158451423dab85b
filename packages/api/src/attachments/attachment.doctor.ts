// `npm run doctor` for attachments: bytes nobody owns (GridFS chunks or
// files without an attachment) and attachments whose timeline event is
// gone. `--fix` removes both. Streaming, in batches: flat memory.
import type { Collection, Db, Document, ObjectId } from 'mongodb';
import { BUCKET, GridFsStore } from './gridfs-store';

/**
 * Claims younger than this are left alone: the API sets eventId before the
 * event's insert commits, so a young claim's event may just not be there yet.
 */
export const CLAIM_SETTLE_MS = 60 * 60 * 1000;
/** Claims old enough to judge (before claimedAt existed, every claim counts as old). */
const settledClaims = (now: number) => ({
  eventId: { $exists: true },
  $or: [{ claimedAt: { $exists: false } }, { claimedAt: { $lte: new Date(now - CLAIM_SETTLE_MS) } }],
});

const EXAMPLES = 5;
const BATCH = 500;

export interface AttachmentReport {
  healthy: boolean;
  attachments: number;
  /** Ids whose chunks or files document have no attachment (an interrupted removal, a crash mid-cleanup). */
  orphanedBytes: { count: number; chunks: number; examples: string[] };
  /** Referenced attachments whose event no longer exists (claims younger than an hour are not judged yet). */
  detached: { count: number; examples: string[] };
  problems: string[];
  plan: string[];
}

export interface AttachmentRepair {
  before: AttachmentReport;
  after: AttachmentReport;
  removed: { orphanedBytes: number; detached: number };
}

/** Of these ids, the ones `collection` has no document for (by `field`). */
async function missingIn(collection: Collection, field: string, ids: ObjectId[]): Promise<ObjectId[]> {
  const found = new Set(
    (await collection.find({ [field]: { $in: ids } }, { projection: { [field]: 1 } }).toArray()).map((d) =>
      String(d[field]),
    ),
  );
  return ids.filter((id) => !found.has(String(id)));
}

/** Walk `cursor` in batches of ids, collecting those `missing` says are gone. */
async function scan(
  cursor: AsyncIterable<Document>,
  idOf: (d: Document) => ObjectId,
  missing: (ids: ObjectId[]) => Promise<ObjectId[]>,
): Promise<{ ids: ObjectId[]; count: number }> {
  const out: ObjectId[] = [];
  let count = 0;
  let batch: ObjectId[] = [];
  const flush = async () => {
    for (const id of await missing(batch)) {
      count++;
      out.push(id);
    }
    batch = [];
  };
  for await (const doc of cursor) {
    batch.push(idOf(doc));
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length) await flush();
  return { ids: out, count };
}

export async function inspectAttachments(
  db: Db,
): Promise<AttachmentReport & { orphanIds: ObjectId[]; detachedIds: ObjectId[] }> {
  const attachments = db.collection('attachments');
  const chunks = db.collection(`${BUCKET}.chunks`);
  const files = db.collection(`${BUCKET}.files`);
  // Every id that has bytes: from the files documents and (for half-written uploads) the chunks.
  const byteIds = chunks.aggregate([{ $group: { _id: '$files_id', n: { $sum: 1 } } }], { allowDiskUse: true });
  const chunkCount = new Map<string, number>();
  const fromChunks = await scan(
    (async function* () {
      for await (const g of byteIds) {
        chunkCount.set(String(g._id), g.n);
        yield g;
      }
    })(),
    (g) => g._id,
    (ids) => missingIn(attachments, '_id', ids),
  );
  const fromFiles = await scan(
    files.find({}, { projection: { _id: 1 } }),
    (d) => d._id,
    (ids) => missingIn(attachments, '_id', ids),
  );
  const orphanIds = [...new Map([...fromChunks.ids, ...fromFiles.ids].map((id) => [String(id), id])).values()];
  const settled = settledClaims(Date.now());
  const detached = await scan(
    attachments.find(settled, { projection: { eventId: 1 } }),
    (d) => d._id,
    async (ids) => {
      const docs = await attachments.find({ _id: { $in: ids }, ...settled }, { projection: { eventId: 1 } }).toArray();
      const gone = new Set(
        (
          await missingIn(
            db.collection('ticket_events'),
            '_id',
            docs.map((d) => d.eventId),
          )
        ).map(String),
      );
      return docs.filter((d) => gone.has(String(d.eventId))).map((d) => d._id as ObjectId);
    },
  );
  const report: AttachmentReport = {
    healthy: false,
    attachments: await attachments.countDocuments(),
    orphanedBytes: {
      count: orphanIds.length,
      chunks: orphanIds.reduce((n, id) => n + (chunkCount.get(String(id)) ?? 0), 0),
      examples: orphanIds.slice(0, EXAMPLES).map(String),
    },
    detached: { count: detached.count, examples: detached.ids.slice(0, EXAMPLES).map(String) },
    problems: [],
    plan: [],
  };
  if (report.orphanedBytes.count) {
    report.problems.push(
      `${report.orphanedBytes.count} stored file(s) (${report.orphanedBytes.chunks} chunk(s)) belong to no attachment`,
    );
    report.plan.push(`remove the ${report.orphanedBytes.count} orphaned file(s) and their chunks`);
  }
  if (report.detached.count) {
    report.problems.push(`${report.detached.count} attachment(s) reference a timeline event that no longer exists`);
    report.plan.push(`remove the ${report.detached.count} attachment(s) whose event is gone, with their bytes`);
  }
  report.healthy = report.problems.length === 0;
  return { ...report, orphanIds, detachedIds: detached.ids };
}

const publicReport = ({
  orphanIds: _o,
  detachedIds: _d,
  ...report
}: Awaited<ReturnType<typeof inspectAttachments>>): AttachmentReport => report;

export async function inspectAttachmentsReport(db: Db): Promise<AttachmentReport> {
  return publicReport(await inspectAttachments(db));
}

/** Remove what inspect found, each removal re-checked (a running API may have changed things since). */
export async function repairAttachments(db: Db): Promise<AttachmentRepair> {
  const found = await inspectAttachments(db);
  const store = new GridFsStore(db);
  const attachments = db.collection('attachments');
  const removed = { orphanedBytes: 0, detached: 0 };
  for (const id of found.orphanIds) {
    if (await attachments.countDocuments({ _id: id }, { limit: 1 })) continue;
    await store.remove(id as never);
    removed.orphanedBytes++;
  }
  for (const id of found.detachedIds) {
    const settled = settledClaims(Date.now());
    const doc = await attachments.findOne({ _id: id, ...settled });
    if (!doc?.eventId || (await db.collection('ticket_events').countDocuments({ _id: doc.eventId }, { limit: 1 })))
      continue;
    // The attachment first: its bytes, if a crash leaves them, are then orphans the next run removes.
    if ((await attachments.deleteOne({ _id: id, ...settled, eventId: doc.eventId })).deletedCount !== 1) continue;
    await store.remove(id as never);
    removed.detached++;
  }
  return { before: publicReport(found), after: await inspectAttachmentsReport(db), removed };
}

export function formatAttachmentReport(r: AttachmentReport): string {
  const lines = [
    `attachments:        ${r.attachments}`,
    `orphaned files:     ${r.orphanedBytes.count} (${r.orphanedBytes.chunks} chunks)${r.orphanedBytes.examples.length ? `  e.g. ${r.orphanedBytes.examples.join(', ')}` : ''}`,
    `event gone:         ${r.detached.count}${r.detached.examples.length ? `  e.g. ${r.detached.examples.join(', ')}` : ''}`,
  ];
  if (!r.healthy)
    lines.push(
      'attachment problems:',
      ...r.problems.map((p) => `  - ${p}`),
      '`npm run doctor -- --fix` would:',
      ...r.plan.map((p) => `  - ${p}`),
    );
  return lines.join('\n');
}

export function formatAttachmentRepair(r: AttachmentRepair): string {
  return [
    `attachments removed: ${r.removed.detached} (event gone); orphaned files removed: ${r.removed.orphanedBytes}`,
    formatAttachmentReport(r.after),
  ].join('\n');
}
