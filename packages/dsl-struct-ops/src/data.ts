import { resolveType } from '@ts-ebpf/btf';
import type { StructOpsData } from './define.js';
import type { StructOpsDataMember, StructOpsType } from './describe.js';
import { StructOpsMemberError } from './errors.js';

// Every runtime has the WHATWG encoders, but this pure package compiles with the ES library
// only, which does not type them: the parts used here.
declare const TextEncoder: new () => { encode(input: string): Uint8Array };
declare const TextDecoder: new () => { decode(input: Uint8Array): string };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a data member's BTF type holds: an integer (with its sign), chars, or something else. */
type MemberKind = { kind: 'integer'; signed: boolean } | { kind: 'chars' } | { kind: 'other' };

function memberKind(ops: StructOpsType, member: StructOpsDataMember): MemberKind {
  const t = resolveType(ops.btf, member.typeId);
  if ((t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') && [1, 2, 4, 8].includes(member.size))
    return { kind: 'integer', signed: t.signed };
  if (t.kind === 'array') {
    const elem = resolveType(ops.btf, t.type);
    if (elem.kind === 'int' && elem.size === 1) return { kind: 'chars' };
  }
  return { kind: 'other' };
}

/** The bytes `value` is written as, once it is known to suit `member`. */
function bytesOf(value: StructOpsData): Uint8Array | undefined {
  if (typeof value === 'string') return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  return undefined;
}

function isZero(value: StructOpsData): boolean {
  const bytes = bytesOf(value);
  return bytes ? bytes.every((b) => b === 0) : BigInt(value as number | bigint) === 0n;
}

/**
 * True for a name the kernel's `bpf_obj_name_cpy` copies into a `char[size]`: 1 to `size - 1`
 * letters, digits, `_` or `.` (it refuses other characters, and a name without its NUL).
 */
export function isKernelObjectName(name: string, size: number): boolean {
  return /^[A-Za-z0-9_.]+$/.test(name) && name.length < size;
}

/**
 * Checks a data member's value against its BTF type and the kernel's rules for the ops type
 * ({@link StructOpsRules.data}): an integer member takes an integer in its type's range (or raw
 * bytes), a char array a string that fits with its NUL (or bytes), anything else raw bytes
 * only; a member the kernel does not take from BPF must be zero, a name must be one the kernel
 * copies, flags only the kernel's bits.
 * @throws StructOpsMemberError naming the member and what it takes
 */
export function checkDataValue(ops: StructOpsType, member: StructOpsDataMember, value: StructOpsData): void {
  const fail = (why: string): never => {
    throw new StructOpsMemberError(ops.type, member.name, why);
  };
  const shown =
    typeof value === 'string' ? `'${value}'` : value instanceof Uint8Array ? 'bytes' : String(value);
  const kind = memberKind(ops, member);
  if (value instanceof Uint8Array) {
    if (value.byteLength > member.size)
      fail(`${value.byteLength} bytes do not fit its ${member.size} (${member.cType})`);
  } else if (typeof value === 'string') {
    if (kind.kind !== 'chars')
      fail(`a string for a ${member.cType}: give ${kind.kind === 'integer' ? 'a number' : 'bytes'}`);
    if (encoder.encode(value).byteLength >= member.size)
      fail(`${shown} does not fit ${member.cType} with its NUL`);
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    if (kind.kind !== 'integer')
      fail(`a number for a ${member.cType}: give ${kind.kind === 'chars' ? 'a string' : 'bytes'}`);
    if (typeof value === 'number' && !Number.isSafeInteger(value)) fail(`${shown} is not an integer`);
    const bits = BigInt(member.size * 8);
    const signed = kind.kind === 'integer' && kind.signed;
    const [min, max] = signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
    const n = BigInt(value);
    if (n < min || n > max) fail(`${shown} is out of range for ${member.cType} (${min}…${max})`);
  } else fail(`${String(value)} is not a number, bigint, string or Uint8Array`);

  const rules = ops.rules.data;
  if (!rules) return;
  const rule = Object.hasOwn(rules, member.name) ? rules[member.name] : undefined;
  if (!rule) {
    if (!isZero(value))
      fail(
        `the kernel takes ${Object.keys(rules).join(', ') || 'no data member'} from BPF and refuses any other data member that is not 0 (${shown} given)`,
      );
    return;
  }
  if (rule.kind === 'name') {
    const bytes = bytesOf(value) ?? new Uint8Array(0);
    const end = bytes.indexOf(0);
    const name = decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
    if (!isKernelObjectName(name, member.size) || (end < 0 && bytes.byteLength >= member.size))
      fail(
        `${shown} is not a name the kernel takes: 1 to ${member.size - 1} letters, digits, '_' or '.' (bpf_obj_name_cpy)`,
      );
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    if ((BigInt(value) & ~BigInt(rule.mask)) !== 0n)
      fail(`${shown} has bits the kernel refuses: it takes ${rule.bits}`);
  }
}
