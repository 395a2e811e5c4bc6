import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { membersOf, resolveType, sizeOf } from './layout.js';

/** The prefix of the kernel's struct_ops map value type: `struct bpf_struct_ops_<ops>`. */
export const STRUCT_OPS_VALUE_PREFIX = 'bpf_struct_ops_';

/** One member of a kernel ops struct. */
export interface StructOpsMemberLayout {
  /** The member's name (`'ssthresh'`). */
  readonly name: string;
  /** Its index in the struct: the `expected_attach_type` of a program implementing it. */
  readonly index: number;
  /** Byte offset inside the ops struct. */
  readonly offset: number;
  /** Byte size (8 for a function pointer). */
  readonly size: number;
  /** BTF id of the member's type. */
  readonly typeId: number;
  /** True for a pointer to a function prototype: a member a STRUCT_OPS program implements. */
  readonly funcPointer: boolean;
}

/** Where a kernel ops struct and its struct_ops map value are, from BTF. */
export interface StructOpsLayout {
  /** The ops struct's name (`'tcp_congestion_ops'`). */
  readonly type: string;
  /** Its BTF id: the `attach_btf_id` of STRUCT_OPS programs. */
  readonly typeId: number;
  /** Its byte size. */
  readonly size: number;
  /** Its members in declaration order. */
  readonly members: readonly StructOpsMemberLayout[];
  /** BTF id of the map value, `struct bpf_struct_ops_<type>` (`btf_vmlinux_value_type_id`). */
  readonly valueTypeId: number;
  /** Byte size of the map value (the map's `value_size`). */
  readonly valueSize: number;
  /** Byte offset of the ops struct (the value's `data` member) inside the map value. */
  readonly dataOffset: number;
}

function structId(btf: Btf, name: string, ops: string): number {
  const id = btf.findIds(name, 'struct')[0];
  if (id === undefined) throw new BtfError(`struct_ops '${ops}': no struct ${name} in the BTF`);
  return id;
}

/**
 * The layout of a kernel ops struct (`'tcp_congestion_ops'`, or its value type's name
 * `'bpf_struct_ops_tcp_congestion_ops'`) and of the struct_ops map value that wraps it:
 * member indexes, offsets and sizes, which members are function pointers, and where the
 * ops struct sits in the value. Pure: it reads only the BTF given (kernel BTF for real use).
 * @throws BtfError naming the ops struct when the BTF lacks it, its value type or the value's `data` member
 */
export function structOpsLayout(btf: Btf, type: string): StructOpsLayout {
  const ops = type.startsWith(STRUCT_OPS_VALUE_PREFIX) ? type.slice(STRUCT_OPS_VALUE_PREFIX.length) : type;
  if (ops === '') throw new BtfError(`struct_ops '${type}': empty ops struct name`);
  const valueTypeId = structId(btf, `${STRUCT_OPS_VALUE_PREFIX}${ops}`, ops);
  const typeId = structId(btf, ops, ops);
  const data = membersOf(btf, valueTypeId).find((m) => m.name === 'data');
  if (!data) throw new BtfError(`struct_ops '${ops}': ${STRUCT_OPS_VALUE_PREFIX}${ops} has no data member`);
  const members = membersOf(btf, typeId).map((m, index) => {
    const t = resolveType(btf, m.type);
    const funcPointer = t.kind === 'ptr' && resolveType(btf, t.type).kind === 'func_proto';
    return { name: m.name, index, offset: m.byteOffset, size: m.size, typeId: m.type, funcPointer };
  });
  return {
    type: ops,
    typeId,
    size: sizeOf(btf, typeId),
    members,
    valueTypeId,
    valueSize: sizeOf(btf, valueTypeId),
    dataOffset: data.byteOffset,
  };
}
