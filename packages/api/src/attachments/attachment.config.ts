// Attachment settings, read with the rest of the environment (config/config.ts).
import { ConfigError, integer } from '../config/config';

export interface AttachmentConfig {
  /** ATTACHMENT_MAX_BYTES: the largest upload (default 10 MiB). */
  maxBytes: number;
  /** ATTACHMENT_LINK_TTL: seconds a signed download link works (default 15 minutes). */
  linkTtlSeconds: number;
  /** ATTACHMENT_UPLOAD_TTL: seconds an upload URL works (default 15 minutes). */
  uploadTtlSeconds: number;
  /** ATTACHMENT_UNREFERENCED_TTL: seconds an upload may wait for a reference before it is removed (default 1 hour). */
  unreferencedTtlSeconds: number;
  /** ATTACHMENT_SWEEP_INTERVAL: seconds between sweeps of unreferenced uploads (default 60). */
  sweepIntervalSeconds: number;
  /** ATTACHMENT_MAX_PENDING_BYTES: bytes all unreferenced uploads together may promise (default 1 GiB); beyond, createUpload is SERVICE_UNAVAILABLE. */
  maxPendingBytes: number;
  /** ATTACHMENT_IDLE_TIMEOUT: seconds a PUT or a download may go without progress (default 30); the whole PUT also has a size-scaled deadline (putDeadlineMs). */
  idleTimeoutMs: number;
  /** ATTACHMENT_MAX_DOWNLOADS_PER_ADDRESS: downloads one address may have running in this process (default 4); beyond, 429. */
  maxDownloadsPerAddress: number;
  /** ATTACHMENT_MAX_DOWNLOADS: downloads this process serves at once from all addresses (default 32); beyond, 503 with Retry-After. */
  maxDownloads: number;
  /** ATTACHMENT_SIGNING_KEY: key of the signed URLs; unset: one key shared by all processes through the database. */
  signingKey?: string;
  /** PUBLIC_URL: the origin clients reach this API at (for upload and download links); unset: the request's Host. */
  publicUrl?: string;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** The slowest upload rate a PUT is given time for: 10 MiB get 60 s + 320 s. */
const MIN_PUT_BYTES_PER_SECOND = 32 * 1024;

/** How long a PUT of `size` bytes may take in all: twice the idle timeout, plus the size at the slowest rate. */
export const putDeadlineMs = (size: number, idleMs: number): number =>
  2 * idleMs + Math.ceil((size / MIN_PUT_BYTES_PER_SECOND) * 1000);
const MIN_KEY_LENGTH = 32;
/** Node's own default for a whole request (http.Server requestTimeout). */
const NODE_REQUEST_TIMEOUT_MS = 300_000;

/**
 * The HTTP server's requestTimeout: never shorter than the largest PUT's
 * own deadline (10 MiB: 380 s, past Node's 300 s default), with a margin
 * for the headers and the answer; the PUT's deadline is what bounds it.
 */
export const requestTimeoutMs = (config: Pick<AttachmentConfig, 'maxBytes' | 'idleTimeoutMs'>): number =>
  Math.max(NODE_REQUEST_TIMEOUT_MS, putDeadlineMs(config.maxBytes, config.idleTimeoutMs) + 30_000);

export function loadAttachmentConfig(env: NodeJS.ProcessEnv): AttachmentConfig {
  const uploadTtlSeconds = integer('ATTACHMENT_UPLOAD_TTL', env.ATTACHMENT_UPLOAD_TTL, 900, 1, 86_400);
  const unreferencedTtlSeconds = integer(
    'ATTACHMENT_UNREFERENCED_TTL',
    env.ATTACHMENT_UNREFERENCED_TTL,
    3600,
    1,
    30 * 86_400,
  );
  // An upload still inside its upload window must not be swept away.
  if (unreferencedTtlSeconds < uploadTtlSeconds)
    throw new ConfigError('ATTACHMENT_UNREFERENCED_TTL must be at least ATTACHMENT_UPLOAD_TTL');
  const signingKey = env.ATTACHMENT_SIGNING_KEY?.trim() || undefined;
  if (signingKey && signingKey.length < MIN_KEY_LENGTH)
    throw new ConfigError(`ATTACHMENT_SIGNING_KEY must be at least ${MIN_KEY_LENGTH} characters`);
  const publicUrl = env.PUBLIC_URL?.trim().replace(/\/+$/, '') || undefined;
  if (publicUrl && !/^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/.test(publicUrl))
    throw new ConfigError(`PUBLIC_URL must look like https://api.example.com, got "${publicUrl}"`);
  return {
    maxBytes: integer('ATTACHMENT_MAX_BYTES', env.ATTACHMENT_MAX_BYTES, DEFAULT_MAX_BYTES, 1, 2 ** 31 - 1),
    linkTtlSeconds: integer('ATTACHMENT_LINK_TTL', env.ATTACHMENT_LINK_TTL, 900, 1, 7 * 86_400),
    uploadTtlSeconds,
    unreferencedTtlSeconds,
    sweepIntervalSeconds: integer('ATTACHMENT_SWEEP_INTERVAL', env.ATTACHMENT_SWEEP_INTERVAL, 60, 1, 86_400),
    maxPendingBytes: integer(
      'ATTACHMENT_MAX_PENDING_BYTES',
      env.ATTACHMENT_MAX_PENDING_BYTES,
      1024 ** 3,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    idleTimeoutMs: integer('ATTACHMENT_IDLE_TIMEOUT', env.ATTACHMENT_IDLE_TIMEOUT, 30, 1, 3600) * 1000,
    maxDownloadsPerAddress: integer(
      'ATTACHMENT_MAX_DOWNLOADS_PER_ADDRESS',
      env.ATTACHMENT_MAX_DOWNLOADS_PER_ADDRESS,
      4,
      1,
      1000,
    ),
    maxDownloads: integer('ATTACHMENT_MAX_DOWNLOADS', env.ATTACHMENT_MAX_DOWNLOADS, 32, 1, 100_000),
    signingKey,
    publicUrl,
  };
}
