import { EbpfError } from '@ts-ebpf/uapi';

/** Raised for a value that is not an XDP action where one is needed (a fallback, a failure action). */
export class XdpActionError extends EbpfError {
  override readonly name = 'XdpActionError';
  /** What the action was for, e.g. `fallback`. */
  readonly subject: string;

  constructor(subject: string, value: unknown) {
    super(
      `${subject}: ${JSON.stringify(value)} is not an XDP action (XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT or 0–4)`,
    );
    this.subject = subject;
  }
}

/** Raised for an XDP fragment argument out of range (a byte count, an offset, flags). */
export class XdpArgumentError extends EbpfError {
  override readonly name = 'XdpArgumentError';
  /** The argument's name. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.argument = argument;
  }
}
