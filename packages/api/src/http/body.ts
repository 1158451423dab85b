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

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw discard(req, tooLarge());
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(400, 'Malformed request: the body must be valid JSON.');
  }
}

/** Let the rest of an unwanted body drain, so the answer still reaches the client. */
function discard(req: IncomingMessage, err: BodyError): BodyError {
  req.resume();
  return err;
}
