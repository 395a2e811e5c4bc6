import { EbpfError } from '@ts-ebpf/uapi';

/** Raised when the BTF given has no struct_ops type of that name (no `struct bpf_struct_ops_<type>`). */
export class UnknownStructOpsTypeError extends EbpfError {
  override readonly name = 'UnknownStructOpsTypeError';
  /** The ops struct asked for, e.g. `tcp_congestion_ops`. */
  readonly type: string;

  constructor(type: string, message: string, options?: { cause?: unknown }) {
    super(`struct_ops type '${type}': ${message}`, options);
    this.type = type;
  }
}

/**
 * Raised for a member of an ops struct used wrongly: one the struct does not have, a callback
 * given for a data member (or data for a callback), a required member left out, or a member the
 * kernel does not support from BPF.
 */
export class StructOpsMemberError extends EbpfError {
  override readonly name = 'StructOpsMemberError';
  /** The ops struct. */
  readonly type: string;
  /** The member. */
  readonly member: string;

  constructor(type: string, member: string, message: string, options?: { cause?: unknown }) {
    super(`${type}.${member}: ${message}`, options);
    this.type = type;
    this.member = member;
  }
}

/** Raised when a callback's return value does not fit its return type (or the callback returns void). */
export class ReturnWidthError extends EbpfError {
  override readonly name = 'ReturnWidthError';
  /** `<type>.<member>` of the callback. */
  readonly callback: string;

  constructor(callback: string, message: string) {
    super(`return of ${callback}: ${message}`);
    this.callback = callback;
  }
}

/** Raised for a callback argument asked by a name or index the prototype does not have. */
export class CallbackArgumentError extends EbpfError {
  override readonly name = 'CallbackArgumentError';
  /** `<type>.<member>` of the callback. */
  readonly callback: string;

  constructor(callback: string, message: string) {
    super(`${callback}: ${message}`);
    this.callback = callback;
  }
}

/**
 * Raised for a kernel struct field that cannot be reached (no such field in BTF, not an integer
 * or pointer) or that struct_ops programs of this ops type may not write.
 */
export class KernelFieldError extends EbpfError {
  override readonly name = 'KernelFieldError';
  /** `<struct>.<path>`, e.g. `tcp_sock.srtt_us`. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(`${field}: ${message}`, options);
    this.field = field;
  }
}

/** Raised for a kernel function (kfunc) the BTF does not have or that is called with the wrong arguments. */
export class KfuncError extends EbpfError {
  override readonly name = 'KfuncError';
  /** The kfunc's name. */
  readonly kfunc: string;

  constructor(kfunc: string, message: string) {
    super(`kfunc ${kfunc}: ${message}`);
    this.kfunc = kfunc;
  }
}
