// The one error type that services and the worker throw for expected, user-facing failures.
// `status` is a code's HTTP status: routes answer with it, and the tRPC middleware picks tRPC's code by it.
// `fieldErrors` travel to forms so each message shows on its own field. Anything that is not an AppError is a crash and is logged.

export const APP_ERROR_STATUS = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  VALIDATION: 400,
  TOO_MANY_REQUESTS: 429,
  // Mailbox problems reported to the admin (test connection, processor state).
  IMAP_AUTH_FAILED: 400,
  IMAP_HOST_NOT_FOUND: 400,
  IMAP_CONNECTION_REFUSED: 400,
  IMAP_TIMEOUT: 400,
  IMAP_TLS: 400,
  IMAP_NO_INBOX: 400,
  IMAP_PROTOCOL: 400,
  /** A POP3 server without UIDL: its messages cannot be told apart across sessions, so exactly-once is impossible. */
  IMAP_NO_UIDL: 400,
  // OAuth2 mailboxes: the provider refused the sign-in (needs Reconnect), or could not be reached.
  OAUTH_RECONNECT_NEEDED: 400,
  OAUTH_PROVIDER: 400,
  SECRET_KEY_MISMATCH: 500,
  // Leopard's own failure (a database error, a bug), reported with an id to find in the log.
  INTERNAL: 500,
} as const;

export type AppErrorCode = keyof typeof APP_ERROR_STATUS;
export type AppErrorStatus = (typeof APP_ERROR_STATUS)[AppErrorCode];

export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly fieldErrors?: FieldErrors;

  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown; fieldErrors?: FieldErrors }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.fieldErrors = options?.fieldErrors;
  }

  get status(): AppErrorStatus {
    return APP_ERROR_STATUS[this.code];
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
