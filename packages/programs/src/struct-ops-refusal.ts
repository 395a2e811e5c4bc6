import { BpfSyscallError } from '@ts-ebpf/syscall';
import { AttachError } from './errors.js';

/** What a struct_ops value is made of, for the messages of a refusal. */
export interface StructOpsGiven {
  /** The ops struct (`'tcp_congestion_ops'`). */
  readonly type: string;
  /** Its `name` field, when it has one. */
  readonly name: string | undefined;
  /** The members given a program or a value. */
  readonly members: readonly string[];
}

/**
 * The error of a struct_ops value or registration the kernel refused, its errno turned into its
 * cause: EEXIST, other ops of this type are registered under the name; EINVAL from writing the
 * value, the ops type's own check refused it (a member it requires is missing, a field is empty or
 * out of range). Other errors are returned as they are.
 */
export function explainStructOpsRefusal(e: unknown, given: StructOpsGiven): unknown {
  if (!(e instanceof BpfSyscallError)) return e;
  const target = `struct_ops ${given.type}${given.name ? ` '${given.name}'` : ''}`;
  if (e.code === 'EEXIST')
    return new AttachError(
      target,
      `other ${given.type} ops are registered under ${given.name ? `the name '${given.name}'` : 'this name'} (a name is unique per ops type): unregister those, or give these another name`,
      { cause: e },
    );
  if (e.code === 'EINVAL')
    return new AttachError(
      target,
      `the kernel's check of ${given.type} refused the value: a member it requires is missing (given: ${given.members.join(', ') || 'none'}), or a field such as name is empty or out of range`,
      { cause: e },
    );
  return e;
}
