import { EbpfError } from '@ts-ebpf/uapi';
import type { SockPointer } from './sock.js';

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

/**
 * Raised before the kernel is asked for a field of `struct bpf_sock` that does not exist, or
 * that the verifier does not let a program read through the kind of socket pointer given
 * (`type`, `protocol`, `mark` and `priority` through a `sock_common` pointer such as
 * `skb->sk`).
 */
export class SocketFieldError extends EbpfError {
  override readonly name = 'SocketFieldError';
  /** The field asked for. */
  readonly field: string;
  /** The kind of socket pointer it was to be read through. */
  readonly pointer: SockPointer;

  constructor(field: string, pointer: SockPointer, message: string) {
    super(message);
    this.field = field;
    this.pointer = pointer;
  }
}
