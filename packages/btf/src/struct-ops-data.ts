import type { Btf } from './btf.js';
import { BtfError, StructOpsDataError, type StructOpsDataRule } from './errors.js';
import { resolveType } from './layout.js';
import type { StructOpsMemberLayout } from './struct-ops-layout.js';
import { structOpsRules } from './struct-ops-rules.js';
import { decodeUtf8 } from './utf8.js';

/**
 * True for a name the kernel's `bpf_obj_name_cpy` copies into a `char[size]`: 1 to `size - 1`
 * letters, digits, `_` or `.` (it refuses other characters, and a name without its NUL).
 */
export function isKernelObjectName(name: string, size: number): boolean {
  return /^[A-Za-z0-9_.]+$/.test(name) && name.length < size;
}

/** The member's bytes as an unsigned integer in `little` or big-endian order. */
function unsignedOf(bytes: Uint8Array, little: boolean): bigint {
  let n = 0n;
  for (let i = 0; i < bytes.byteLength; i++)
    n = (n << 8n) | BigInt(bytes[little ? bytes.byteLength - 1 - i : i]!);
  return n;
}

/** How the bytes are shown in a message: a number for an integer member, a string for chars. */
function shown(btf: Btf, member: Pick<StructOpsMemberLayout, 'typeId'>, bytes: Uint8Array): string {
  const t = resolveType(btf, member.typeId);
  if (
    (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') &&
    [1, 2, 4, 8].includes(bytes.byteLength)
  )
    return `0x${unsignedOf(bytes, btf.byteOrder === 'little').toString(16)}`;
  const elem = t.kind === 'array' ? resolveType(btf, t.type) : undefined;
  if (elem?.kind === 'int' && elem.size === 1) {
    const end = bytes.indexOf(0);
    return `'${decodeUtf8(bytes, 0, end < 0 ? bytes.byteLength : end)}'${end < 0 ? ' (no NUL)' : ''}`;
  }
  return 'non-zero bytes';
}

/**
 * Checks the bytes of a data member of a kernel ops struct against the kernel's rules for the
 * type (`StructOpsRules.data`), as the map update will: a member the type's `init_member`
 * does not take from BPF must be all zero bytes, a name must be one `bpf_obj_name_cpy` copies
 * (1 to `size - 1` letters, digits, `_` or `.`, then its NUL: a name cut to the array has
 * none), flags may hold only the kernel's bits (`TCP_CONG_*`). Members of a type whose data
 * rules are not known are not checked. Pure: it reads only the BTF given.
 * @param btf - the kernel BTF the member was read from; the bytes are in its byte order
 * @param type - the ops struct (`'tcp_congestion_ops'`)
 * @param member - the member (`structOpsLayout(btf, type).members`), a data member
 * @param bytes - what the map value will hold in it: at most its size, zero-padded when shorter
 * @param map - the struct_ops map the value is for, named by the error
 * @throws StructOpsDataError naming the type, the member, the rule broken (and the map)
 * @throws BtfError when `bytes` is longer than the member
 */
export function checkStructOpsData(
  btf: Btf,
  type: string,
  member: Pick<StructOpsMemberLayout, 'name' | 'size' | 'typeId'>,
  bytes: Uint8Array,
  map?: string,
): void {
  if (bytes.byteLength > member.size)
    throw new BtfError(`${type}.${member.name}: ${bytes.byteLength} bytes do not fit its ${member.size}`);
  const rules = structOpsRules(type).data;
  if (!rules) return;
  const padded = new Uint8Array(member.size);
  padded.set(bytes);
  const fail = (rule: StructOpsDataRule, why: string): never => {
    throw new StructOpsDataError(type, member.name, rule, why, map);
  };
  const rule = Object.hasOwn(rules, member.name) ? rules[member.name] : undefined;
  if (!rule) {
    if (padded.some((b) => b !== 0))
      fail(
        'zero',
        `the kernel takes ${Object.keys(rules).join(', ') || 'no data member'} from BPF and refuses any other data member that is not 0 (${shown(btf, member, padded)} given)`,
      );
    return;
  }
  if (rule.kind === 'name') {
    const end = padded.indexOf(0);
    const name = decodeUtf8(padded, 0, end < 0 ? padded.byteLength : end);
    if (end < 0 || !isKernelObjectName(name, member.size))
      fail(
        'name',
        `${shown(btf, member, padded)} is not a name the kernel takes: 1 to ${member.size - 1} letters, digits, '_' or '.' and a NUL (bpf_obj_name_cpy)`,
      );
    return;
  }
  const value = unsignedOf(padded, btf.byteOrder === 'little');
  if ((value & ~BigInt(rule.mask)) !== 0n)
    fail('flags', `${shown(btf, member, padded)} has bits the kernel refuses: it takes ${rule.bits}`);
}
