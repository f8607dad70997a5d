/**
 * Domain errors thrown by use cases. The HTTP layer maps them to the API's error shape
 * in one place (src/http/errors.ts); nothing else writes an error status.
 *
 * They are answers, not faults: nothing logs or shows where one was thrown (a 503 logs the
 * fault it carries), so they capture no stack. Capturing one cost about 5 µs, paid by every
 * 404 and 403 and by every refused check (docs/performance.md, seventh round).
 */
export class DomainError extends Error {
  constructor(
    readonly kind:
      | 'invalid_request'
      | 'unauthenticated'
      | 'forbidden'
      | 'not_found'
      | 'conflict'
      | 'gone'
      | 'rate_limited'
      | 'payload_too_large'
      | 'range_not_satisfiable'
      | 'unavailable',
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

export class InvalidRequest extends DomainError {
  constructor(message: string, details?: unknown) {
    super('invalid_request', 'invalid_request', message, details);
  }
}

export class Unauthenticated extends DomainError {
  constructor(message = 'Log in or send a personal access token.', code = 'unauthenticated') {
    super('unauthenticated', code, message);
  }
}

export class Forbidden extends DomainError {
  constructor(message = 'You do not have permission to do that.', code = 'forbidden') {
    super('forbidden', code, message);
  }
}

export class NotFound extends DomainError {
  constructor(what = 'That') {
    super('not_found', 'not_found', `${what} was not found.`);
  }
}

export class Conflict extends DomainError {
  constructor(code: string, message: string, details?: unknown) {
    super('conflict', code, message, details);
  }
}

export class Gone extends DomainError {
  constructor(code: string, message: string) {
    super('gone', code, message);
  }
}

export class RateLimited extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', 'rate_limited', message);
  }
}

/** A byte range outside the file; the answer names the file's size. */
export class RangeNotSatisfiable extends DomainError {
  constructor(readonly size: number) {
    super('range_not_satisfiable', 'range_not_satisfiable', 'The requested range is outside the file.');
  }
}

/** A store Tessera depends on (the blob store) does not answer for now: clients should retry. What failed stays in the logs. */
export class Unavailable extends DomainError {
  constructor(readonly reason: unknown) {
    super('unavailable', 'unavailable', 'Tessera is briefly unavailable. Try again in a moment.');
  }
}
