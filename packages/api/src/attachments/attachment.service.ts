// The rules of attachments: who gets an upload URL for what, taking the
// bytes once, referencing an upload once, signed links, and the sweep of
// uploads nobody referenced.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import { badUserInput, serviceUnavailable, type FieldProblem } from '../errors/api-errors';
import { putDeadlineMs, type AttachmentConfig } from './attachment.config';
import { AttachmentModel, UploadState, type AttachmentRef, type StoredAttachment } from './attachment.model';
import type { AttachmentStore } from './attachment.store';
import type { Attachment, Upload } from './attachment.type';
import { ALLOWED_TYPES, isAllowedType } from './content-types';
import { sanitiseFilename, withExtensionOf } from './filename';
import { receiveUpload } from './receive-upload';
import { Refusal, type RefusalReason } from './refusal';
import type { UrlSigner } from './signing';

/** At most this many attachments on one timeline event. */
export const MAX_PER_EVENT = 5;
const MAX_FILENAME_INPUT = 1000;
/** Uploads the sweep reads per query; it reads again while batches come back full. */
const SWEEP_BATCH = 100;
/** A sweep round stops after this long; the next round takes the rest. */
const SWEEP_ROUND_MS = 20_000;
/**
 * An upload a sweep took (`removing`) and has not finished with this long
 * after is taken again: its sweep died or failed between the claim and the
 * record's removal. Far past a round, so hosts' clocks need not agree
 * closely; were one to take it early, removing twice is harmless.
 */
const REMOVING_RETAKE_MS = 10 * 60_000;

/** What the service tells the rest of the process about (metrics). */
export interface AttachmentHooks {
  onStored?(bytes: number): void;
  onRefused?(reason: RefusalReason): void;
}

/** 96 random bits: an upload's id cannot be guessed from another one's (an ObjectId's time and counter could). */
const unguessableId = () => new Types.ObjectId(randomBytes(12));

const objectId = (raw: string): Types.ObjectId | null => (/^[0-9a-f]{24}$/i.test(raw) ? new Types.ObjectId(raw) : null);

/** Store each reference as the event keeps it, in the order asked for. */
const refOf = (doc: StoredAttachment): AttachmentRef => ({
  _id: doc._id,
  filename: doc.filename,
  contentType: doc.contentType,
  size: doc.size,
});

function checkUploadRequest(filename: string, contentType: string, size: number, maxBytes: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!filename.trim() || filename.length > MAX_FILENAME_INPUT)
    problems.push({ field: 'filename', message: `must be 1-${MAX_FILENAME_INPUT} characters` });
  if (!isAllowedType(contentType.trim().toLowerCase()))
    problems.push({ field: 'contentType', message: `must be one of ${ALLOWED_TYPES.join(', ')}` });
  if (!Number.isInteger(size) || size < 1 || size > maxBytes)
    problems.push({ field: 'size', message: `must be 1 to ${maxBytes} bytes` });
  return problems;
}

export class AttachmentService {
  constructor(
    private readonly config: AttachmentConfig,
    private readonly store: AttachmentStore,
    private readonly signer: UrlSigner,
    private readonly hooks: AttachmentHooks = {},
  ) {}

  get maxBytes(): number {
    return this.config.maxBytes;
  }

  // ---- upload ----------------------------------------------------------

  /** `byToken`: the caller holds a token (its uploads can be claimed only by token holders). */
  async createUpload(
    filename: string,
    contentType: string,
    size: number,
    origin: string | undefined,
    byToken = false,
  ): Promise<Upload> {
    const problems = checkUploadRequest(filename, contentType, size, this.config.maxBytes);
    if (problems.length) throw badUserInput(problems);
    const now = new Date();
    // Unreferenced bytes of the whole deployment are capped, public callers' and token holders' each in a pool
    // of its own (the public cannot shut agents out): beyond, that pool gets no upload URL until some are
    // referenced, swept, or (never sent) their upload URL expires.
    if ((await pendingBytes(byToken, now)) + size > this.config.maxPendingBytes)
      throw serviceUnavailable(
        60,
        `attachments: ${byToken ? "token holders'" : 'public'} unreferenced uploads at ATTACHMENT_MAX_PENDING_BYTES`,
      );
    const doc = await AttachmentModel.create({
      _id: unguessableId(),
      byToken,
      // The bytes must be of contentType (checked at the PUT), so the name's extension follows it.
      filename: withExtensionOf(sanitiseFilename(filename), contentType.trim().toLowerCase()),
      contentType: contentType.trim().toLowerCase(),
      size,
      state: UploadState.PENDING,
      createdAt: now,
      uploadExpiresAt: new Date(now.getTime() + this.config.uploadTtlSeconds * 1000),
    });
    const id = String(doc._id);
    const expires = Math.floor(doc.uploadExpiresAt.getTime() / 1000);
    return {
      attachmentId: id,
      uploadUrl: `${this.originOf(origin)}/uploads/${id}?expires=${expires}&signature=${this.signer.sign('upload', id, expires)}`,
      expiresAt: doc.uploadExpiresAt,
      maxBytes: this.config.maxBytes,
    };
  }

  /**
   * The PUT of an upload URL. The upload is taken atomically first (a
   * second PUT, concurrent or later, is `gone`); any refusal removes what
   * was written and the upload with it.
   */
  async receive(
    rawId: string,
    expires: string | null,
    signature: string | null,
    contentLength: string | undefined,
    body: Readable,
  ): Promise<StoredAttachment> {
    try {
      const verdict = this.signer.check('upload', rawId, expires, signature);
      if (verdict !== 'ok') throw new Refusal(verdict === 'expired' ? 'gone' : 'forbidden');
      const _id = objectId(rawId)!;
      const taken = await AttachmentModel.findOneAndUpdate(
        { _id, state: UploadState.PENDING, uploadExpiresAt: { $gt: new Date() } },
        { $set: { state: UploadState.RECEIVING } },
        { returnDocument: 'after' },
      ).lean<StoredAttachment>();
      if (!taken) throw new Refusal('gone');
      try {
        // A declared length decides before a byte is read.
        if (contentLength !== undefined) {
          const declared = Number(contentLength);
          if (declared > this.config.maxBytes) throw new Refusal('too_large');
          if (declared !== taken.size) throw new Refusal('wrong_length');
        }
        await receiveUpload(body, this.store.writer(_id, taken.filename, taken.contentType), {
          contentType: taken.contentType,
          size: taken.size,
          maxBytes: this.config.maxBytes,
          idleMs: this.config.idleTimeoutMs,
          deadlineMs: putDeadlineMs(taken.size, this.config.idleTimeoutMs),
        });
        const storedAt = new Date();
        // Only if still ours: a sweep that removed it meanwhile wins, and these bytes go.
        const done = await AttachmentModel.updateOne(
          { _id, state: UploadState.RECEIVING },
          { $set: { state: UploadState.STORED, storedAt } },
        );
        if (done.matchedCount !== 1) throw new Refusal('gone');
        this.hooks.onStored?.(taken.size);
        return { ...taken, state: UploadState.STORED, storedAt };
      } catch (err) {
        // Bytes first: a crash in between leaves an upload the sweep still knows about.
        await this.store.remove(_id);
        await AttachmentModel.deleteOne({ _id });
        throw err;
      }
    } catch (err) {
      if (err instanceof Refusal) this.hooks.onRefused?.(err.reason);
      throw err;
    }
  }

  // ---- references ------------------------------------------------------

  /**
   * Reference these uploads from the event `eventId` (not written yet: the
   * caller writes it with the refs returned, or calls release). Each upload
   * is taken with one conditional update, so of two events naming the same
   * upload exactly one gets it. All or none: on any miss the ones taken are
   * given back and the answer is BAD_USER_INPUT on attachmentIds.
   */
  async claim(
    rawIds: readonly string[] | null | undefined,
    eventId: Types.ObjectId,
    byToken = false,
  ): Promise<AttachmentRef[]> {
    if (!rawIds || rawIds.length === 0) return [];
    const ids = rawIds.map(objectId);
    if (rawIds.length > MAX_PER_EVENT) throw attachmentIdsProblem(`at most ${MAX_PER_EVENT} per event`);
    if (ids.some((id) => id === null)) throw attachmentIdsProblem('unknown id');
    if (new Set(rawIds.map((id) => id.toLowerCase())).size !== rawIds.length)
      throw attachmentIdsProblem('an id appears twice');
    const notBefore = new Date(Date.now() - this.config.unreferencedTtlSeconds * 1000);
    // A public caller may reference only uploads a public caller asked for; a token holder any.
    const claimable = {
      state: UploadState.STORED,
      eventId: { $exists: false },
      createdAt: { $gt: notBefore },
      ...(byToken ? {} : { byToken: false }),
    };
    const result = await AttachmentModel.updateMany(
      { _id: { $in: ids }, ...claimable },
      { $set: { eventId, claimedAt: new Date() } },
    );
    if (result.modifiedCount !== ids.length) {
      await this.release(eventId);
      throw attachmentIdsProblem('unknown, not uploaded, expired or already used');
    }
    const docs = await AttachmentModel.find({ _id: { $in: ids }, eventId }).lean<StoredAttachment[]>();
    const byId = new Map(docs.map((d) => [String(d._id), d]));
    return ids.map((id) => refOf(byId.get(String(id))!));
  }

  /** Give back what `claim` took for an event that was never written. */
  async release(eventId: Types.ObjectId, onlyIds?: readonly string[]): Promise<void> {
    // onlyIds: a caller whose event id another writer may share (an inbound email's) releases only its own uploads.
    const only = onlyIds ? { _id: { $in: onlyIds.flatMap((id) => objectId(id) ?? []) } } : {};
    await AttachmentModel.updateMany({ eventId, ...only }, { $unset: { eventId: 1, claimedAt: 1 } });
  }

  // ---- download --------------------------------------------------------

  /** An attachment as the API shows it: metadata and a fresh signed link. */
  toAttachment(ref: AttachmentRef, origin: string | undefined): Attachment {
    const id = String(ref._id);
    const expires = Math.floor(Date.now() / 1000) + this.config.linkTtlSeconds;
    return {
      id,
      filename: ref.filename,
      contentType: ref.contentType,
      size: ref.size,
      url: `${this.originOf(origin)}/attachments/${id}?expires=${expires}&signature=${this.signer.sign('download', id, expires)}`,
    };
  }

  /** Whether this link (id, expires, signature) is good now: 'ok', 'expired' or 'invalid'. */
  checkLink(rawId: string, expires: string | null, signature: string | null) {
    return this.signer.check('download', rawId, expires, signature);
  }

  /** A referenced attachment's metadata and bytes, or null. */
  async open(rawId: string): Promise<{ attachment: StoredAttachment; bytes: Readable } | null> {
    const _id = objectId(rawId);
    if (!_id) return null;
    const attachment = await AttachmentModel.findOne({
      _id,
      state: UploadState.STORED,
      eventId: { $exists: true },
    }).lean<StoredAttachment>();
    return attachment ? { attachment, bytes: this.store.reader(_id) } : null;
  }

  // ---- sweep -----------------------------------------------------------

  /**
   * Remove uploads nobody referenced within the hour (and ones never
   * completed). Any process may run it at any time: each upload is taken
   * with one conditional update (to `removing`), so a reference made
   * meanwhile wins and two sweeps do not take one upload together; its
   * bytes go next, its record last. A sweep that dies or fails in between
   * leaves a `removing` record (not bytes no record names), which a later
   * sweep takes again.
   */
  async sweep(now = new Date(), roundMs = SWEEP_ROUND_MS): Promise<number> {
    const stale = staleUploads(now, this.config);
    let removed = 0;
    // Batches until one comes back short (or the round's time is up). Each
    // process works its batch in its own random order, so processes sweeping
    // together mostly take different uploads instead of racing for the same
    // oldest ones.
    for (const end = Date.now() + roundMs; Date.now() < end;) {
      const batch = await AttachmentModel.find(stale, { _id: 1 })
        .sort({ createdAt: 1 })
        .limit(SWEEP_BATCH)
        .lean<{ _id: Types.ObjectId }[]>();
      for (const { _id } of shuffled(batch)) {
        if (Date.now() >= end) break;
        const taken = await AttachmentModel.updateOne(
          { _id, ...stale },
          { $set: { state: UploadState.REMOVING, removingAt: now } },
        );
        if (taken.modifiedCount !== 1) continue;
        await this.store.remove(_id);
        if ((await AttachmentModel.deleteOne({ _id, state: UploadState.REMOVING })).deletedCount === 1) removed++;
      }
      if (batch.length < SWEEP_BATCH) break;
    }
    return removed;
  }

  /** PUBLIC_URL when set, else the origin the caller reached us at. */
  private originOf(origin: string | undefined): string {
    return this.config.publicUrl ?? origin ?? '';
  }
}

/**
 * What a sweep at `now` may take: unreferenced past the hour, and not
 * arriving (a PUT may start at the end of the upload window and last its
 * deadline: until then a `receiving` upload is not stale), nor taken by a
 * sweep that may still be at work.
 */
function staleUploads(now: Date, config: AttachmentConfig) {
  const ago = (ms: number) => new Date(now.getTime() - ms);
  return {
    eventId: { $exists: false },
    createdAt: { $lte: ago(config.unreferencedTtlSeconds * 1000) },
    $or: [
      { state: { $in: [UploadState.PENDING, UploadState.STORED] } },
      {
        state: UploadState.RECEIVING,
        createdAt: { $lte: ago(config.uploadTtlSeconds * 1000 + putDeadlineMs(config.maxBytes, config.idleTimeoutMs)) },
      },
      { state: UploadState.REMOVING, removingAt: { $lte: ago(REMOVING_RETAKE_MS) } },
    ],
  };
}

/** A copy in random order (Fisher-Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Bytes of one pool's uploads nobody references yet: stored or arriving,
 * and promised by upload URLs still valid (one that expired unsent can
 * never bring a byte: it no longer counts, nor does one a sweep took). The
 * createdAt condition lets the sweep's partial index serve it.
 */
async function pendingBytes(byToken: boolean, now: Date): Promise<number> {
  const pool = byToken ? { byToken: true } : { byToken: { $ne: true } };
  const live = {
    $or: [
      { state: { $in: [UploadState.RECEIVING, UploadState.STORED] } },
      { state: UploadState.PENDING, uploadExpiresAt: { $gt: now } },
    ],
  };
  const [sum] = await AttachmentModel.aggregate<{ bytes: number }>([
    { $match: { eventId: { $exists: false }, createdAt: { $gte: new Date(0) }, ...pool, ...live } },
    { $group: { _id: null, bytes: { $sum: '$size' } } },
  ]);
  return sum?.bytes ?? 0;
}

const attachmentIdsProblem = (message: string) => badUserInput([{ field: 'attachmentIds', message }]);
