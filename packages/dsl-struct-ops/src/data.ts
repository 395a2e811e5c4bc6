import { checkStructOpsData, resolveType, StructOpsDataError } from '@ts-ebpf/btf';
import type { StructOpsData } from './define.js';
import type { StructOpsDataMember, StructOpsType } from './describe.js';
import { StructOpsMemberError } from './errors.js';

// Every runtime has the WHATWG encoder, but this pure package compiles with the ES library
// only, which does not type it: the part used here.
declare const TextEncoder: new () => { encode(input: string): Uint8Array };
const encoder = new TextEncoder();

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

/**
 * The bytes the member will hold for `value`, once it is known to suit the member: a number in
 * the BTF's byte order, a string's UTF-8 (zero-padded), raw bytes as given (zero-padded).
 */
function bytesOf(ops: StructOpsType, member: StructOpsDataMember, value: StructOpsData): Uint8Array {
  const out = new Uint8Array(member.size);
  if (typeof value === 'string') out.set(encoder.encode(value));
  else if (value instanceof Uint8Array) out.set(value);
  else {
    let n = BigInt.asUintN(member.size * 8, BigInt(value));
    for (let i = 0; i < member.size; i++, n >>= 8n)
      out[ops.byteOrder === 'little' ? i : member.size - 1 - i] = Number(n & 0xffn);
  }
  return out;
}

/**
 * Checks a data member's value against its BTF type and the kernel's rules for the ops type
 * (`checkStructOpsData` of `@ts-ebpf/btf`, on the bytes the value becomes): an integer member takes an integer in its type's range (or raw
 * bytes), a char array a string that fits with its NUL (or bytes), anything else raw bytes
 * only; a member the kernel does not take from BPF must be zero, a name must be one the kernel
 * copies, flags only the kernel's bits.
 * @throws StructOpsMemberError naming the member and what it takes (for a kernel rule, its
 * `cause` the `StructOpsDataError` of `@ts-ebpf/btf` naming the rule)
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

  try {
    checkStructOpsData(ops.btf, ops.type, member, bytesOf(ops, member, value));
  } catch (e) {
    if (e instanceof StructOpsDataError)
      throw new StructOpsMemberError(ops.type, member.name, e.reason, { cause: e });
    throw e;
  }
}
