import { StructOpsMembersError } from './errors.js';
import { structOpsRules } from './struct-ops-rules.js';

/**
 * Checks which members a struct_ops value of `type` is given against the kernel's rules for the
 * type (`StructOpsRules.required` and `.unsupported`), as registration will: a member the kernel
 * refuses from BPF must not be given (`tcp_congestion_ops.get_info`: the kernel's `check_member`
 * answers ENOTSUPP), and each required group needs one of its members
 * (`tcp_validate_congestion_control`: `ssthresh`, `undo_cwnd`, `cong_avoid` or `cong_control`,
 * and a `name`). Members of a type whose rules are not known are not checked. Pure.
 * @param type - the ops struct (`'tcp_congestion_ops'`)
 * @param given - the members given: callbacks implemented by a program, and data members set
 * @param map - the struct_ops map the value is for, named by the error
 * @throws StructOpsMembersError naming the type, the member, the rule broken (and the map)
 */
export function checkStructOpsMembers(type: string, given: Iterable<string>, map?: string): void {
  const rules = structOpsRules(type);
  const members = new Set(given);
  for (const member of rules.unsupported)
    if (members.has(member))
      throw new StructOpsMembersError(
        type,
        member,
        'unsupported',
        'the kernel does not take this member from BPF programs: leave it out',
        map,
      );
  for (const group of rules.required) {
    if (group.some((m) => members.has(m))) continue;
    const one = group.length === 1 ? 'is required' : `is required (or ${group.slice(1).join(', ')})`;
    throw new StructOpsMembersError(
      type,
      group[0]!,
      'required',
      `${one} by the kernel and was not given (given: ${[...members].join(', ') || 'none'})`,
      map,
    );
  }
}
