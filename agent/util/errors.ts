/**
 * One error base class with stable codes. The native addon throws plain Errors carrying a `code`
 * (see native/src/errors.h); `fromNative` lifts them into SocktapError so callers can switch on
 * `code` without parsing messages.
 */
export type SocktapErrorCode =
  | 'SOCKTAP_NO_BTF'
  | 'SOCKTAP_PERMISSION'
  | 'SOCKTAP_TRACEFS'
  | 'SOCKTAP_KERNEL_TOO_OLD'
  | 'SOCKTAP_VERIFIER'
  | 'SOCKTAP_ATTACH'
  | 'SOCKTAP_INVALID_ARGUMENT'
  | 'SOCKTAP_STATE'
  | 'SOCKTAP_SYSTEM'
  | 'SOCKTAP_ADDON_MISSING'
  | 'SOCKTAP_USAGE'
  | 'SOCKTAP_CONFIG';

export class SocktapError extends Error {
  readonly code: SocktapErrorCode;
  readonly errno?: number;

  constructor(code: SocktapErrorCode, message: string, options?: { cause?: unknown; errno?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SocktapError';
    this.code = code;
    this.errno = options?.errno;
  }

  /** Wraps an error thrown by the addon; TypeErrors (bad arguments) keep their type. */
  static fromNative(err: unknown): Error {
    if (err instanceof SocktapError || err instanceof TypeError) return err;
    if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
      const e = err as Error & { code: string; errno?: number };
      if (e.code.startsWith('SOCKTAP_')) {
        return new SocktapError(e.code as SocktapErrorCode, e.message, { cause: err, errno: e.errno });
      }
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}
