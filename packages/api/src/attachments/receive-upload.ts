// The bytes of one PUT, from the socket into the store without holding
// them: counted against the promised size and the limit, the first 4100
// bytes sniffed before anything is written, text checked to the last byte.
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TEXT } from './content-types';
import { Refusal } from './refusal';
import { sniff, SNIFF_BYTES, TextCheck } from './sniff';

export interface Expected {
  contentType: string;
  size: number;
  maxBytes: number;
  /** The body may go this long without a byte. */
  idleMs: number;
  /** The whole body must be in by then. */
  deadlineMs: number;
}

/** Counts bytes: over the limit is too_large, over or under the promised size is wrong_length. */
function counter({ size, maxBytes }: Expected): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      total += chunk.length;
      if (total > maxBytes) return done(new Refusal('too_large'));
      if (total > size) return done(new Refusal('wrong_length'));
      done(null, chunk);
    },
    flush(done) {
      done(total === size ? null : new Refusal('wrong_length'));
    },
  });
}

/** Holds back the first bytes until they are sniffed; then passes everything through, checking text to the end. */
function typeCheck(contentType: string): Transform {
  const head: Buffer[] = [];
  let headLength = 0;
  let decided = false;
  const text = contentType === TEXT ? new TextCheck() : null;
  const decide = async (stream: Transform): Promise<void> => {
    decided = true;
    const found = await sniff(Buffer.concat(head, headLength));
    const fits = text ? found === 'none' : found === contentType;
    if (!fits) throw new Refusal('wrong_type');
    for (const chunk of head.splice(0)) stream.push(chunk);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      text?.push(chunk);
      if (decided) return done(null, chunk);
      head.push(chunk);
      headLength += chunk.length;
      if (headLength < SNIFF_BYTES) return done();
      decide(this).then(() => done(), done);
    },
    flush(done) {
      const finish = () => done(text && !text.end() ? new Refusal('wrong_type') : null);
      if (decided) return finish();
      decide(this).then(finish, done);
    },
  });
}

/** Resolves once the sink has every byte; rejects with a Refusal (or the stream's own error) otherwise. */
export async function receiveUpload(body: Readable, sink: Writable, expected: Expected): Promise<void> {
  // A slow or stalled sender is cut off: the pipeline fails, the sink aborts (gridfs-store.ts).
  const tooSlow = () => body.destroy(new Refusal('too_slow'));
  const deadline = setTimeout(tooSlow, expected.deadlineMs);
  const idle = setTimeout(tooSlow, expected.idleMs);
  const progress = () => idle.refresh();
  try {
    const done = pipeline(body, counter(expected), typeCheck(expected.contentType), sink);
    body.on('data', progress);
    await done;
  } catch (err) {
    if (err instanceof Refusal) throw err;
    if (
      (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE' ||
      (err as { code?: string }).code === 'ECONNRESET'
    )
      throw new Refusal('aborted');
    throw err;
  } finally {
    clearTimeout(deadline);
    clearTimeout(idle);
    body.off('data', progress);
  }
}
