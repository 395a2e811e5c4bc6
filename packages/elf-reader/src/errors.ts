import { EbpfError } from '@ts-ebpf/uapi';

/** A truncated, corrupt or unsupported ELF file: says what was wrong and where. */
export class ElfError extends EbpfError {
  /** Byte offset in the file where the problem is, when known. */
  readonly offset: number | undefined;
  /**
   * @param message - what is wrong, naming the part of the file (section, symbol, field)
   * @param offset - the byte offset of the problem in the file, when known
   * @param options - `cause`: the error this one wraps
   */
  constructor(message: string, offset?: number, options?: { readonly cause?: unknown }) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}
