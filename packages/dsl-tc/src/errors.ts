import { EbpfError } from '@ts-ebpf/uapi';

/** Raised for a value that is not a tc action where one is needed (a failure action, a verdict). */
export class TcActionError extends EbpfError {
  override readonly name = 'TcActionError';
  /** What the action was for, e.g. `skb_store_bytes onFailure`. */
  readonly subject: string;

  constructor(subject: string, value: unknown) {
    super(
      `${subject}: ${JSON.stringify(value)} is not a tc action (TC_ACT_OK, TC_ACT_SHOT, TC_ACT_REDIRECT …, TCX_NEXT, TCX_PASS, TCX_DROP, TCX_REDIRECT, or -1–8)`,
    );
    this.subject = subject;
  }
}

/** Raised for a tc fragment or template argument out of range (a length, an offset, a port, a DSCP). */
export class TcArgumentError extends EbpfError {
  override readonly name = 'TcArgumentError';
  /** The argument's name. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.argument = argument;
  }
}
