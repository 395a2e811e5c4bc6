import { EbpfError } from '@ts-ebpf/uapi';

/**
 * Raised for an iterator target that is not one, that this kernel's BTF does not describe, or that
 * cannot be loaded here: this process lacks the capabilities, or the kernel refuses every program of it.
 */
export class IterTargetError extends EbpfError {
  override readonly name = 'IterTargetError';
  /** The target asked for, e.g. `task`. */
  readonly target: string;

  constructor(target: string, message: string, options?: ErrorOptions) {
    super(`iterator target '${target}': ${message}`, options);
    this.target = target;
  }
}

/** Raised for a context field or field path the iterator's context does not have. */
export class IterFieldError extends EbpfError {
  override readonly name = 'IterFieldError';
  /** The field or path, e.g. `task->real_parent->tgid`. */
  readonly field: string;

  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * Raised when a program loads through a pointer that may be NULL (`PTR_TO_BTF_ID_OR_NULL`, a
 * map key or value) before checking it, which the verifier would refuse.
 */
export class UncheckedPointerError extends EbpfError {
  override readonly name = 'UncheckedPointerError';
  /** The context field the pointer came from, e.g. `task`. */
  readonly field: string;
  /** Index of the offending instruction. */
  readonly index: number;

  constructor(field: string, index: number, detail: string) {
    super(
      `ctx->${field} may be NULL and is used at instruction ${index} (${detail}) without a check: compare it with 0 first (e.g. loadChecked())`,
    );
    this.field = field;
    this.index = index;
  }
}

/** Raised for a bpf_seq_printf format or argument list the kernel would refuse. */
export class SeqFormatError extends EbpfError {
  override readonly name = 'SeqFormatError';
  /** The format string. */
  readonly format: string;

  constructor(format: string, message: string) {
    super(`seq_printf format ${JSON.stringify(format)}: ${message}`);
    this.format = format;
  }
}

/** Raised for a bad iterator argument: a stack area out of range, a record layout, link parameters. */
export class IterArgumentError extends EbpfError {
  override readonly name = 'IterArgumentError';
  /** The argument's name. */
  readonly argument: string;

  constructor(argument: string, message: string, options?: ErrorOptions) {
    super(`${argument}: ${message}`, options);
    this.argument = argument;
  }
}
