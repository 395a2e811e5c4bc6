import { EbpfError } from '@ts-ebpf/uapi';

/** Raised for a socket-program fragment or template argument that cannot be right (a byte count, a key, a prefix). */
export class SocketArgumentError extends EbpfError {
  override readonly name = 'SocketArgumentError';
  /** The argument's name. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.argument = argument;
  }
}
