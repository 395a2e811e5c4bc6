import { EbpfError } from '@ts-ebpf/uapi';

/** Raised for a flow dissector option out of range (a fallback code, a VLAN tag count). */
export class FlowDissectorOptionError extends EbpfError {
  override readonly name = 'FlowDissectorOptionError';
  /** The option's name. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}

/**
 * Raised by `decodeFlowKeys` for bytes that cannot hold a `struct bpf_flow_keys`: not a
 * `Uint8Array`, or shorter than the struct.
 */
export class FlowKeysBytesError extends EbpfError {
  override readonly name = 'FlowKeysBytesError';
  /** The C struct: `struct bpf_flow_keys`. */
  readonly struct: string;
  /** The bytes the struct needs. */
  readonly size: number;
  /** The bytes given (undefined when the input is not a `Uint8Array`). */
  readonly got: number | undefined;

  constructor(struct: string, size: number, got: number | undefined, message: string) {
    super(`${struct}: ${message}`);
    this.struct = struct;
    this.size = size;
    this.got = got;
  }
}
