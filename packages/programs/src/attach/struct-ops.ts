import { membersOf } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { StructOpsMap, StructOpsTypeError, structOpsValueType } from '@ts-ebpf/maps';
import { BpfAttachType, close, dupFd, linkCreate, mapDeleteElem } from '@ts-ebpf/syscall';
import { Link } from '../link.js';
import type { Program } from '../program.js';

/** Where a struct_ops member is: what a program implementing it is loaded with. */
export interface StructOpsMember {
  /** BTF id of the ops struct (`attachBtfId` of the program). */
  readonly attachBtfId: number;
  /** The member's index (`expectedAttachType` of the program). */
  readonly expectedAttachType: number;
  /** Byte offset of the member inside the ops struct. */
  readonly offset: number;
  /** Byte size of the member. */
  readonly size: number;
}

/**
 * Looks up a member of a kernel ops struct (`tcp_congestion_ops`, `ssthresh`) in vmlinux BTF.
 * @throws StructOpsTypeError when the kernel has no such struct_ops type or member
 */
export function structOpsMember(structName: string, member: string): StructOpsMember {
  const id = structOpsValueType(structName, kernelBtf()).typeId;
  const members = membersOf(kernelBtf(), id);
  const index = members.findIndex((m) => m.name === member);
  if (index < 0) throw new StructOpsTypeError(structName, `struct ${structName} has no member '${member}'`);
  const m = members[index]!;
  return { attachBtfId: id, expectedAttachType: index, offset: m.byteOffset, size: m.size };
}

/** Options of {@link attachStructOps}. */
export interface StructOpsOptions {
  /** The kernel ops struct, e.g. `'tcp_congestion_ops'`. */
  readonly type: string;
  /** Member name → the STRUCT_OPS program implementing it (loaded with `attachTo: 'type.member'`). */
  readonly programs: Readonly<Record<string, Program>>;
  /** Other members: numbers (little-endian, member-sized), strings (char arrays) or raw bytes. */
  readonly fields?: Readonly<Record<string, number | bigint | string | Uint8Array>>;
  /** Map name (default the `name` field, else `'struct_ops'`). */
  readonly mapName?: string;
  /** Register through a bpf_link (default true, kernel 6.4+) or by the map update alone. */
  readonly link?: boolean;
}

function writeField(
  value: Uint8Array,
  at: number,
  size: number,
  v: number | bigint | string | Uint8Array,
): void {
  if (typeof v === 'string') {
    const s = new TextEncoder().encode(v);
    if (s.byteLength >= size) throw new TypeError(`'${v}' does not fit ${size} bytes`);
    value.set(s, at);
  } else if (v instanceof Uint8Array) {
    value.set(v.subarray(0, size), at);
  } else {
    const dv = new DataView(value.buffer, value.byteOffset + at, size);
    if (size === 8) dv.setBigUint64(0, BigInt(v), true);
    else if (size === 4) dv.setUint32(0, Number(v), true);
    else if (size === 2) dv.setUint16(0, Number(v), true);
    else dv.setUint8(0, Number(v));
  }
}

/** The map value (`struct bpf_struct_ops_<type>`) for these programs and fields. */
export function structOpsValue(o: StructOpsOptions): Uint8Array {
  const { valueSize, dataOffset } = structOpsValueType(o.type, kernelBtf());
  const value = new Uint8Array(valueSize);
  for (const [name, program] of Object.entries(o.programs)) {
    const m = structOpsMember(o.type, name);
    writeField(value, dataOffset + m.offset, 8, BigInt(program.fd));
  }
  for (const [name, v] of Object.entries(o.fields ?? {})) {
    const m = structOpsMember(o.type, name);
    writeField(value, dataOffset + m.offset, m.size, v);
  }
  return value;
}

/**
 * Registers a kernel ops struct implemented by BPF programs (tcp_congestion_ops …): a
 * STRUCT_OPS map holding the programs and fields, registered through a bpf_link (or the
 * map update). Closing the Link unregisters it.
 */
export function attachStructOps(o: StructOpsOptions): Link {
  const link = o.link ?? true;
  const value = structOpsValue(o);
  const fieldName = o.fields?.name;
  const name = (o.mapName ?? (typeof fieldName === 'string' ? fieldName : 'struct_ops')).slice(0, 15);
  // The Link keeps a duplicate of the map's fd (it owns its fds); this object closes on return.
  using map = StructOpsMap.create({ type: o.type, btf: kernelBtf(), link, name });
  // Duplicated before the update registers anything, so every later failure can undo it.
  const held = dupFd(map.fd);
  try {
    map.set(0, value);
    if (!link)
      return new Link({
        kind: 'struct_ops',
        extraFds: [held],
        detach: () => mapDeleteElem(held, new Uint8Array(4)),
      });
    const fd = linkCreate({ progFd: held, targetFd: 0, attachType: BpfAttachType.STRUCT_OPS });
    return new Link({ kind: 'struct_ops', fd, extraFds: [held] });
  } catch (e) {
    close(held);
    throw e;
  }
}
