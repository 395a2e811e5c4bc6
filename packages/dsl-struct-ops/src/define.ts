import { checkStructOpsMembers, StructOpsMembersError } from '@ts-ebpf/btf';
import type { Fragment, PluginProgram } from '@ts-ebpf/dsl';
import { CallbackBuilder, type CallbackBuildOptions } from './callback.js';
import { checkDataValue } from './data.js';
import type { StructOpsType } from './describe.js';
import { StructOpsMemberError } from './errors.js';

/** A data member's value: a number (member-sized), a string (char array) or raw bytes. */
export type StructOpsData = number | bigint | string | Uint8Array;

/** Builds a callback's body with the member's {@link CallbackBuilder}. */
export type CallbackBody = (cb: CallbackBuilder) => Fragment;

/** What an ops struct is implemented with: callbacks built with the DSL, and data members. */
export interface StructOpsDeclaration {
  /** Member name → the body of the program implementing it. */
  readonly callbacks: Readonly<Record<string, CallbackBody>>;
  /** Data members (`name`, `flags` …). */
  readonly data?: Readonly<Record<string, StructOpsData>>;
  /** Members whose programs are built for the sleepable section `struct_ops.s`. */
  readonly sleepable?: readonly string[];
}

/** A declaration checked against the ops type, every callback built: what `LoadedStructOps.load` takes. */
export interface StructOpsDefinition {
  /** The ops type. */
  readonly ops: StructOpsType;
  /** Member name → the program built for it (`attachTo: '<type>.<member>'`). */
  readonly programs: Readonly<Record<string, PluginProgram>>;
  /** Data members. */
  readonly data: Readonly<Record<string, StructOpsData>>;
}

/**
 * Checks a declaration against the ops type and builds every callback.
 * @throws StructOpsMemberError naming the member: one the struct lacks, a callback given for a
 * data member or data for a callback, a member the kernel refuses from BPF, a required member
 * left out (`tcp_congestion_ops` needs `name`, `ssthresh`, `undo_cwnd`, and `cong_avoid` or
 * `cong_control`), or a data value its type or the kernel refuses ({@link checkDataValue}: a
 * number out of the member's range, a string for an integer, a name with other characters than
 * letters, digits, `_` and `.`, flags the kernel does not know, a non-zero member the kernel does
 * not take)
 */
export function defineStructOps(ops: StructOpsType, declaration: StructOpsDeclaration): StructOpsDefinition {
  const data = declaration.data ?? {};
  for (const [name, value] of Object.entries(data)) {
    if (ops.callbacks.has(name))
      throw new StructOpsMemberError(ops.type, name, 'is a callback: give it in callbacks, not data');
    const member = ops.data.get(name);
    if (!member)
      throw new StructOpsMemberError(
        ops.type,
        name,
        `is not a member (data members: ${[...ops.data.keys()].join(', ')})`,
      );
    checkDataValue(ops, member, value);
  }
  try {
    checkStructOpsMembers(ops.type, [...Object.keys(declaration.callbacks), ...Object.keys(data)]);
  } catch (e) {
    if (e instanceof StructOpsMembersError)
      throw new StructOpsMemberError(ops.type, e.member, e.reason, { cause: e });
    throw e;
  }
  const sleepable = new Set(declaration.sleepable ?? []);
  const programs: Record<string, PluginProgram> = {};
  for (const [name, body] of Object.entries(declaration.callbacks)) {
    const cb = new CallbackBuilder(ops, name);
    const options: CallbackBuildOptions = { sleepable: sleepable.has(name) };
    programs[name] = cb.build(body(cb), options);
  }
  return Object.freeze({ ops, programs: Object.freeze(programs), data: Object.freeze({ ...data }) });
}
