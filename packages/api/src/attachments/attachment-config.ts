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
  /** ATTACHMENT_SIGNING_KEY: key of the signed URLs; unset: one key shared by all processes through the database. */
  signingKey?: string;
  /** PUBLIC_URL: the origin clients reach this API at (for upload and download links); unset: the request's Host. */
  publicUrl?: string;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const MIN_KEY_LENGTH = 32;

export function loadAttachmentConfig(env: NodeJS.ProcessEnv): AttachmentConfig {
  const uploadTtlSeconds = integer('ATTACHMENT_UPLOAD_TTL', env.ATTACHMENT_UPLOAD_TTL, 900, 1, 86_400);
  const unreferencedTtlSeconds = integer('ATTACHMENT_UNREFERENCED_TTL', env.ATTACHMENT_UNREFERENCED_TTL, 3600, 1, 30 * 86_400);
  // An upload still inside its upload window must not be swept away.
  if (unreferencedTtlSeconds < uploadTtlSeconds) throw new ConfigError('ATTACHMENT_UNREFERENCED_TTL must be at least ATTACHMENT_UPLOAD_TTL');
  const signingKey = env.ATTACHMENT_SIGNING_KEY?.trim() || undefined;
  if (signingKey && signingKey.length < MIN_KEY_LENGTH) throw new ConfigError(`ATTACHMENT_SIGNING_KEY must be at least ${MIN_KEY_LENGTH} characters`);
  const publicUrl = env.PUBLIC_URL?.trim().replace(/\/+$/, '') || undefined;
  if (publicUrl && !/^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/.test(publicUrl)) throw new ConfigError(`PUBLIC_URL must look like https://api.example.com, got "${publicUrl}"`);
  return {
    maxBytes: integer('ATTACHMENT_MAX_BYTES', env.ATTACHMENT_MAX_BYTES, DEFAULT_MAX_BYTES, 1, 2 ** 31 - 1),
    linkTtlSeconds: integer('ATTACHMENT_LINK_TTL', env.ATTACHMENT_LINK_TTL, 900, 1, 7 * 86_400),
    uploadTtlSeconds,
    unreferencedTtlSeconds,
    sweepIntervalSeconds: integer('ATTACHMENT_SWEEP_INTERVAL', env.ATTACHMENT_SWEEP_INTERVAL, 60, 1, 86_400),
    signingKey,
    publicUrl,
  };
}
