// Reading a request body as JSON, within a size limit. What GraphQL over
// HTTP needs and no more: application/json in UTF-8, no compression.
import type { IncomingMessage } from 'node:http';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/** The parsed body; undefined when the method has none or it is not JSON (GraphQL then says what is missing). */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return undefined;
  const [mediaType, ...params] = (req.headers['content-type'] ?? '').split(';').map((p) => p.trim());
  if (!JSON_TYPE.test(mediaType)) {
    req.resume();
    return undefined;
  }
  const charset = params
    .find((p) => /^charset=/i.test(p))
    ?.slice(8)
    .replace(/"/g, '')
    .toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8')
    throw discard(req, new BodyError(415, `Unsupported charset "${charset}": send UTF-8.`));
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') throw discard(req, new BodyError(415, `Unsupported content encoding "${encoding}".`));
  const tooLarge = () => new BodyError(413, `Request body too large (limit ${limitBytes} bytes).`);
  if (Number(req.headers['content-length'] ?? 0) > limitBytes) throw discard(req, tooLarge());

  const text = await readText(req, limitBytes, tooLarge);
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(400, 'Malformed request: the body must be valid JSON.');
  }
}

/**
 * The body as text, with plain 'data' and 'end' listeners: a stream's async
 * iterator costs a promise and more per chunk (measured in bench/profile.mjs).
 */
function readText(req: IncomingMessage, limitBytes: number, tooLarge: () => BodyError): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) return void chunks.push(chunk);
      cleanup();
      reject(discard(req, tooLarge()));
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => onError(new Error('request aborted'));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    // Closed before its end (the client went away): nothing to answer.
    const onClose = () => {
      if (!req.complete) onAborted();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Let the rest of an unwanted body drain, so the answer still reaches the client. */
function discard(req: IncomingMessage, err: BodyError): BodyError {
  req.resume();
  return err;
}
