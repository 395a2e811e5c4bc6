import { EbpfError } from '@ts-ebpf/uapi';

/** Raised for an sk_lookup fragment or template argument that cannot be right (a port, an address, flags). */
export class SkLookupArgumentError extends EbpfError {
  override readonly name = 'SkLookupArgumentError';
  /** The argument's name. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.argument = argument;
  }
}
