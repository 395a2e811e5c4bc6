import { EbpfError } from '@ts-ebpf/uapi';

/** A truncated, corrupt or unsupported ELF object: says what was wrong and where. */
export class ElfError extends EbpfError {
  /** Byte offset in the file where the problem is, when known. */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'ElfError';
    this.offset = offset;
  }
}
