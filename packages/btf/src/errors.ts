import { EbpfError } from '@ts-ebpf/uapi';

/**
 * Raised for truncated, corrupt or unusable BTF and for failed queries
 * (unknown type, bad field path, unsatisfiable type cycle).
 */
export class BtfError extends EbpfError {
  /** Byte offset in the input where the problem was found, when it concerns raw bytes. */
  readonly offset: number | undefined;

  /**
   * @param message - what went wrong
   * @param offset - byte offset in the parsed buffer, if the error concerns raw bytes
   * @param options - `cause`: the error this one wraps
   */
  constructor(message: string, offset?: number, options?: { readonly cause?: unknown }) {
    super(offset === undefined ? message : `${message} (at byte offset ${offset})`, options);
    this.name = 'BtfError';
    this.offset = offset;
  }
}

/**
 * Which of the kernel's rules for struct_ops data a value breaks: `'name'` (a name
 * `bpf_obj_name_cpy` refuses), `'flags'` (bits the type does not know), `'zero'` (a non-zero
 * member the type does not take from BPF).
 */
export type StructOpsDataRule = 'name' | 'flags' | 'zero';

/**
 * A struct_ops value breaks one of the kernel's rules for its type, found before the kernel is
 * asked: the base of {@link StructOpsDataError} (what a data member holds) and
 * {@link StructOpsMembersError} (which members are given).
 */
export class StructOpsRuleError<Rule extends string = string> extends EbpfError {
  /** The ops struct (`'tcp_congestion_ops'`). */
  readonly type: string;
  /** The member. */
  readonly member: string;
  /** The rule it breaks. */
  readonly rule: Rule;
  /** What is wrong, without the subject (the message starts with the map, type and member). */
  readonly reason: string;
  /** The struct_ops map the value is for, when there is one (an object's `.struct_ops` variable). */
  readonly map: string | undefined;

  /**
   * @param type - the ops struct; @param member - the member; @param rule - the rule broken
   * @param reason - what is wrong; @param map - the struct_ops map, when known
   */
  constructor(type: string, member: string, rule: Rule, reason: string, map?: string) {
    super(`${map === undefined ? '' : `struct_ops map ${map}: `}${type}.${member}: ${reason}`);
    this.name = 'StructOpsRuleError';
    this.type = type;
    this.member = member;
    this.rule = rule;
    this.reason = reason;
    this.map = map;
  }
}

/**
 * A data member of a struct_ops value (`tcp_congestion_ops.name`, `.flags` …) holds what the
 * kernel refuses when the map is updated: found before the kernel is asked, by
 * `checkStructOpsData`.
 */
export class StructOpsDataError extends StructOpsRuleError<StructOpsDataRule> {
  /** @inheritDoc */
  constructor(type: string, member: string, rule: StructOpsDataRule, reason: string, map?: string) {
    super(type, member, rule, reason, map);
    this.name = 'StructOpsDataError';
  }
}

/**
 * Which of the kernel's rules for the members of a struct_ops value a value breaks:
 * `'required'` (a member the type needs was not given: `tcp_validate_congestion_control` wants
 * `ssthresh`, `undo_cwnd` and `cong_avoid` or `cong_control`), `'unsupported'` (a member the
 * kernel refuses from BPF: `tcp_congestion_ops.get_info`).
 */
export type StructOpsMemberRule = 'required' | 'unsupported';

/**
 * The members a struct_ops value is given break the kernel's rules for the type (one it needs
 * is missing, or one it refuses is there): found before the kernel is asked, by
 * `checkStructOpsMembers`.
 */
export class StructOpsMembersError extends StructOpsRuleError<StructOpsMemberRule> {
  /** @inheritDoc */
  constructor(type: string, member: string, rule: StructOpsMemberRule, reason: string, map?: string) {
    super(type, member, rule, reason, map);
    this.name = 'StructOpsMembersError';
  }
}
