import { EbpfError } from '@ts-ebpf/uapi';

/**
 * Raised for truncated, corrupt or unusable BTF and for failed queries
 * (unknown type, bad field path, unsatisfiable type cycle).
 */
export class BtfError extends EbpfError {
  /** Byte offset in the input where the problem was found, when it concerns raw bytes. */
  readonly offset: number | undefined;

  /**
   * @param message - what went wrong
   * @param offset - byte offset in the parsed buffer, if the error concerns raw bytes
   * @param options - `cause`: the error this one wraps
   */
  constructor(message: string, offset?: number, options?: { readonly cause?: unknown }) {
    super(offset === undefined ? message : `${message} (at byte offset ${offset})`, options);
    this.name = 'BtfError';
    this.offset = offset;
  }
}
