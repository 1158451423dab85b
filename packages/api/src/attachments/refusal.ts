// Why an upload or a download was refused, and the HTTP status that says so.
export type RefusalReason =
  'too_large' | 'wrong_type' | 'wrong_length' | 'gone' | 'forbidden' | 'not_found' | 'aborted' | 'too_slow';

export const STATUS_OF: Record<RefusalReason, number> = {
  too_large: 413,
  wrong_type: 415,
  wrong_length: 400,
  gone: 410,
  forbidden: 403,
  not_found: 404,
  aborted: 400,
  too_slow: 408,
};

const MESSAGE_OF: Record<RefusalReason, string> = {
  too_large: 'The upload is larger than this server takes (maxBytes).',
  wrong_type: 'The bytes are not of an allowed type, or not of the declared contentType.',
  wrong_length: 'The upload must bring exactly the size given to createUpload.',
  gone: 'This URL has expired or was already used.',
  forbidden: 'This URL is not valid.',
  not_found: 'No such attachment.',
  aborted: 'The upload was cut off.',
  too_slow: 'The upload stalled or took too long.',
};

export class Refusal extends Error {
  constructor(readonly reason: RefusalReason) {
    super(MESSAGE_OF[reason]);
  }

  get status(): number {
    return STATUS_OF[this.reason];
  }
}
