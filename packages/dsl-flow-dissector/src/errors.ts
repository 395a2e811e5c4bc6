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
