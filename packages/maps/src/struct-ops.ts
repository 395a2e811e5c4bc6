import {
  type Btf,
  BtfBuilder,
  BtfError,
  STRUCT_OPS_VALUE_PREFIX,
  type StructOpsLayout,
  structOpsLayout,
} from '@ts-ebpf/btf';
import { kernelBtf, loadBtf } from '@ts-ebpf/btf/kernel';
import { BpfMapCreateFlag, type BpfToken } from '@ts-ebpf/syscall';
import { bytes } from './codecs/bytes.js';
import { u32 } from './codecs/scalars.js';
import { StructOpsTypeError } from './errors.js';
import { BpfMap } from './map.js';
import type { MapPinning, MapTokenOption } from './map-spec.js';
import { MapType } from './map-types.js';

/**
 * Where a kernel ops struct's map value is described in kernel BTF: the ops struct's members
 * (index, offset, size, function pointer or not) and the wrapping map value's id, size and
 * `data` offset (`structOpsLayout` of `@ts-ebpf/btf`).
 */
export type StructOpsValueType = StructOpsLayout;

/**
 * Resolves a kernel ops struct (`'tcp_congestion_ops'`, or the wrapper name
 * `'bpf_struct_ops_tcp_congestion_ops'`) to its struct_ops map value type in kernel BTF.
 * @param btf - the kernel BTF to search (default this machine's vmlinux BTF, parsed once)
 * @throws StructOpsTypeError when the kernel has no such struct_ops type (its cause the BtfError)
 */
export function structOpsValueType(type: string, btf: Btf = kernelBtf()): StructOpsValueType {
  try {
    return structOpsLayout(btf, type);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    const ops = type.startsWith(STRUCT_OPS_VALUE_PREFIX) ? type.slice(STRUCT_OPS_VALUE_PREFIX.length) : type;
    throw new StructOpsTypeError(ops, e.message.replace(/^struct_ops '[^']*': /, ''), { cause: e });
  }
}

/** Options of {@link StructOpsMap.create}. */
export interface StructOpsMapOptions extends MapTokenOption {
  /** The kernel ops struct, e.g. `'tcp_congestion_ops'`. */
  type: string;
  /** Kernel BTF to resolve `type` in (default this machine's vmlinux BTF, parsed once). */
  btf?: Btf;
  /**
   * A loaded BTF object's fd for `btf_fd` (the map takes its own reference). The kernel only
   * needs some BTF object here; by default a one-type BTF is loaded and closed again.
   */
  btfFd?: number;
  /** Set `BpfMapCreateFlag.LINK`, so the ops are registered by a bpf_link rather than the map update. */
  link?: boolean;
  /** Extra `BPF_F_*` flags. */
  flags?: number;
  /** Map name (at most 15 characters). */
  name?: string;
  pinning?: MapPinning;
}

function withBtfFd<T>(btfFd: number | undefined, token: BpfToken | undefined, fn: (fd: number) => T): T {
  if (btfFd !== undefined) return fn(btfFd);
  const b = new BtfBuilder();
  b.int('int', 4, { signed: true });
  using loaded = loadBtf(b, { logSize: 0, token });
  return fn(loaded.fd);
}

/**
 * `BPF_MAP_TYPE_STRUCT_OPS`: one slot (key 0) holding a `struct bpf_struct_ops_<type>`
 * value. The value type id and size are resolved from kernel BTF. Writing the value
 * (programs and fields) and registering it is done by `@ts-ebpf/programs`' `StructOps`.
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
    return withBtfFd(o.btfFd, o.token, (fd) =>
      BpfMap.create<number, Uint8Array>({
        type: MapType.STRUCT_OPS,
        key: u32,
        value: bytes(t.valueSize),
        maxEntries: 1,
        flags,
        name: o.name,
        pinning: o.pinning,
        token: o.token,
        btf: { fd, keyTypeId: 0, valueTypeId: 0, vmlinuxValueTypeId: t.valueTypeId },
      }),
    );
  },
};
