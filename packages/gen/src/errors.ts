import { EbpfError } from '@ts-ebpf/uapi';

/** The base class of what `@ts-ebpf/gen` throws for an object it cannot turn into bindings. */
export class GenError extends EbpfError {}

/**
 * A BTF type the generator cannot give a TypeScript type and codec: one without a layout (a
 * forward declaration, `void`, a function prototype) used as a value.
 */
export class UnsupportedTypeError extends GenError {
  /** The type as C spells it (`struct task_struct`, `void` …). */
  readonly typeName: string;
  /** Where it is used: the map key or value, the variable, the struct member path. */
  readonly where: string;
  /**
   * @param typeName - the type as C spells it
   * @param where - where it is used (map key or value, variable, member path)
   * @param reason - why it cannot be typed
   * @param options - `cause`: the error this one wraps
   */
  constructor(typeName: string, where: string, reason: string, options?: { readonly cause?: unknown }) {
    super(`cannot type ${typeName} (${where}): ${reason}`, options);
    this.typeName = typeName;
    this.where = where;
  }
}

/** A bad `ts-ebpf gen` argument: an unknown option, a missing value, an unreadable object file. */
export class GenArgumentError extends GenError {
  /** The argument at fault (`--nmae`, `-o`, the object path …). */
  readonly argument: string;
  /** What is wrong with it: the message without the argument in front. */
  readonly reason: string;
  /**
   * @param argument - the argument at fault
   * @param reason - what is wrong with it
   * @param options - `cause`: the error this one wraps (a failed read)
   */
  constructor(argument: string, reason: string, options?: { readonly cause?: unknown }) {
    super(`${argument}: ${reason}`, options);
    this.argument = argument;
    this.reason = reason;
  }
}
