// Stable `extensions.code` values of the contract.
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  DUPLICATE_ENTRY: 'DUPLICATE_ENTRY',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** A subscription ended because its subscriber fell behind by more than the server's bound. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** A documentId this server does not know (http/trusted-documents.ts): send the text instead. */
  PERSISTED_DOCUMENT_NOT_FOUND: 'PERSISTED_DOCUMENT_NOT_FOUND',
  /** TRUSTED_DOCUMENTS=require-public: a caller without a token sent a document the server does not know. */
  PERSISTED_DOCUMENT_REQUIRED: 'PERSISTED_DOCUMENT_REQUIRED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What a response is known by (metrics, traces): its first error's code, INTERNAL_SERVER_ERROR when that has none; undefined without errors. */
export function firstErrorCode(
  errors: readonly { extensions?: Readonly<Record<string, unknown>> }[] | undefined,
): string | undefined {
  return errors?.length ? String(errors[0].extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR) : undefined;
}
