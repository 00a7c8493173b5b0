/**
 * The one error shape every paysaga endpoint answers with:
 * `{ "error": { "code": "refund_exceeds_remaining", "message": "…", "details": { … } } }`.
 * A handler throws an ApiError; the server's error handler renders it.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(statusCode: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
  }
}

/**
 * A deliberate refusal to take more work now (admission control): 503 with
 * Retry-After, nothing written. Not a fault, so it is not logged as one, and an
 * Idempotency-Key it answered stays free for the retry.
 */
export class Overloaded extends ApiError {
  override name = 'Overloaded';
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, details?: Record<string, unknown>) {
    super(503, 'overloaded', message, details);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export const notFound = (what: string, id: string): ApiError => new ApiError(404, 'not_found', `${what} ${id} does not exist`, { id });
