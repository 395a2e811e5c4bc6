import { type Btf, BtfBuilder, membersOf, sizeOf } from '@ts-ebpf/btf';
import { kernelBtf, loadBtf } from '@ts-ebpf/btf/kernel';
import { BpfMapCreateFlag } from '@ts-ebpf/syscall';
import { bytes } from './codecs/bytes.js';
import { u32 } from './codecs/scalars.js';
import { StructOpsTypeError } from './errors.js';
import { BpfMap } from './map.js';
import type { MapPinning } from './map-spec.js';
import { MapType } from './map-types.js';

const WRAPPER_PREFIX = 'bpf_struct_ops_';

/** Where a kernel ops struct's map value is described in kernel BTF. */
export interface StructOpsValueType {
  /** The ops struct, e.g. `'tcp_congestion_ops'`. */
  readonly type: string;
  /** BTF id of the map value, `struct bpf_struct_ops_<type>` (`btf_vmlinux_value_type_id`). */
  readonly valueTypeId: number;
  /** Byte size of the map value (`value_size`). */
  readonly valueSize: number;
  /** BTF id of the ops struct itself (what STRUCT_OPS programs use as `attach_btf_id`). */
  readonly typeId: number;
  /** Byte offset of the ops struct (the wrapper's `data` member) inside the map value. */
  readonly dataOffset: number;
}

function structId(btf: Btf, name: string, type: string): number {
  const id = btf.findIds(name, 'struct')[0];
  if (id === undefined) throw new StructOpsTypeError(type, `no struct ${name} in the kernel's BTF`);
  return id;
}

/**
 * Resolves a kernel ops struct (`'tcp_congestion_ops'`, or the wrapper name
 * `'bpf_struct_ops_tcp_congestion_ops'`) to its struct_ops map value type in kernel BTF.
 * @param btf - the kernel BTF to search (default this machine's vmlinux BTF, parsed once)
 * @throws StructOpsTypeError when the kernel has no such struct_ops type
 */
export function structOpsValueType(type: string, btf: Btf = kernelBtf()): StructOpsValueType {
  const ops = type.startsWith(WRAPPER_PREFIX) ? type.slice(WRAPPER_PREFIX.length) : type;
  if (ops === '') throw new StructOpsTypeError(type, 'empty ops struct name');
  const valueTypeId = structId(btf, `${WRAPPER_PREFIX}${ops}`, ops);
  const typeId = structId(btf, ops, ops);
  const data = membersOf(btf, valueTypeId).find((m) => m.name === 'data');
  if (!data) throw new StructOpsTypeError(ops, `${WRAPPER_PREFIX}${ops} has no data member`);
  return { type: ops, valueTypeId, valueSize: sizeOf(btf, valueTypeId), typeId, dataOffset: data.byteOffset };
}

/** Options of {@link StructOpsMap.create}. */
export interface StructOpsMapOptions {
  /** The kernel ops struct, e.g. `'tcp_congestion_ops'`. */
  type: string;
  /** Kernel BTF to resolve `type` in (default this machine's vmlinux BTF, parsed once). */
  btf?: Btf;
  /**
   * A loaded BTF object's fd for `btf_fd` (the map takes its own reference). The kernel only
   * needs some BTF object here; by default a one-type BTF is loaded and closed again.
   */
  btfFd?: number;
  /** Set `BPF_F_LINK`, so the ops are registered by a bpf_link rather than the map update. */
  link?: boolean;
  /** Extra `BPF_F_*` flags. */
  flags?: number;
  /** Map name (at most 15 characters). */
  name?: string;
  pinning?: MapPinning;
}

function withBtfFd<T>(btfFd: number | undefined, fn: (fd: number) => T): T {
  if (btfFd !== undefined) return fn(btfFd);
  const b = new BtfBuilder();
  b.int('int', 4, { signed: true });
  using loaded = loadBtf(b, { logSize: 0 });
  return fn(loaded.fd);
}

/**
 * `BPF_MAP_TYPE_STRUCT_OPS`: one slot (key 0) holding a `struct bpf_struct_ops_<type>`
 * value. The value type id and size are resolved from kernel BTF. Writing the value
 * (programs and fields) and registering it is done by `@ts-ebpf/programs`' `attachStructOps`.
 */
export const StructOpsMap = {
  /**
   * Creates the map for a kernel ops struct.
   * @throws StructOpsTypeError when the kernel has no such struct_ops type
   * @throws BpfSyscallError when the kernel refuses the map
   */
  create(o: StructOpsMapOptions): BpfMap<number, Uint8Array> {
    const t = structOpsValueType(o.type, o.btf);
    const flags = (o.flags ?? 0) | (o.link ? BpfMapCreateFlag.LINK : 0);
    return withBtfFd(o.btfFd, (fd) =>
      BpfMap.create<number, Uint8Array>({
        type: MapType.STRUCT_OPS,
        key: u32,
        value: bytes(t.valueSize),
        maxEntries: 1,
        flags,
        name: o.name,
        pinning: o.pinning,
        btf: { fd, keyTypeId: 0, valueTypeId: 0, vmlinuxValueTypeId: t.valueTypeId },
      }),
    );
  },
};
