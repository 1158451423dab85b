// SDK errors -> words for people.
import {
  AttachmentRejectedError,
  DuplicateEntryError,
  ForbiddenError,
  NetworkError,
  RateLimitedError,
  ServiceUnavailableError,
  ValidationError,
} from '@tickets/sdk';

export interface Problem {
  message: string;
  /** Per-field messages, for ValidationError. */
  fields?: Record<string, string>;
  /** Worth offering a retry (the same request again). */
  retryable?: boolean;
  /** A ticket for this chat already exists. */
  duplicateChat?: boolean;
}

export function describeError(e: unknown): Problem {
  if (e instanceof ValidationError) {
    return {
      message: 'Please check the highlighted fields.',
      fields: Object.fromEntries(e.fields.map((f) => [f.field, f.message])),
    };
  }
  if (e instanceof DuplicateEntryError && e.field === 'chatId')
    return { message: 'A ticket for this chat already exists.', duplicateChat: true };
  if (e instanceof ForbiddenError && e.field === 'chatId')
    return { message: 'This chat link is not valid. Please ask in the chat for a new one.' };
  if (e instanceof DuplicateEntryError)
    return { message: 'This request was already used for a different ticket. Please reload the page and try again.' };
  if (e instanceof RateLimitedError)
    return { message: `Too many requests. Please wait ${e.retryAfter} seconds and try again.`, retryable: true };
  if (e instanceof ServiceUnavailableError)
    return { message: 'The service is briefly unavailable. Please try again in a moment.', retryable: true };
  if (e instanceof NetworkError)
    return { message: 'We could not reach the server. Check your connection and try again.', retryable: true };
  return { message: 'Something went wrong on our side. Please try again later.', retryable: true };
}

/** Why a file could not be attached, for people. */
export function describeUploadError(e: unknown): string {
  if (e instanceof AttachmentRejectedError) {
    if (e.reason === 'wrong_type') return 'This file type is not accepted (images, PDF or plain text only).';
    if (e.reason === 'too_large') return 'This file is too large.';
    return 'The upload did not go through. Please try again.';
  }
  if (e instanceof ValidationError) {
    const field = e.fields[0]?.field;
    if (field === 'size') return 'This file is too large.';
    if (field === 'contentType') return 'This file type is not accepted (images, PDF or plain text only).';
    return 'This file cannot be attached.';
  }
  return describeError(e).message;
}
