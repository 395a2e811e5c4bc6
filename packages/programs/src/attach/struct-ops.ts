import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { StructOpsMap, StructOpsTypeError, structOpsValueType } from '@ts-ebpf/maps';
import { BpfArgumentError, BpfAttachType, close, dupFd, linkCreate, mapDeleteElem } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { Link } from '../link.js';
import type { Program } from '../program.js';
import { memberOf } from '../struct-ops-member.js';

/** Options of {@link attachStructOps}. */
export interface StructOpsOptions {
  /** The kernel ops struct, e.g. `'tcp_congestion_ops'`. */
  readonly type: string;
  /** Member name → the STRUCT_OPS program implementing it (loaded with `attachTo: 'type.member'`). */
  readonly programs: Readonly<Record<string, Program>>;
  /** Other members: numbers (host byte order, member-sized), strings (char arrays) or raw bytes. */
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
  subject: string,
): void {
  if (typeof v === 'string') {
    const s = new TextEncoder().encode(v);
    if (s.byteLength >= size)
      throw new BpfArgumentError(
        subject,
        `'${v}' is ${s.byteLength} bytes: it does not fit ${size} bytes with its NUL`,
      );
    value.set(s, at);
  } else if (v instanceof Uint8Array) {
    if (v.byteLength > size)
      throw new BpfArgumentError(subject, `${v.byteLength} bytes do not fit the member's ${size}`);
    value.set(v, at);
  } else {
    const dv = new DataView(value.buffer, value.byteOffset + at, size);
    const le = HOST_LITTLE_ENDIAN;
    if (size === 8) dv.setBigUint64(0, BigInt.asUintN(64, BigInt(v)), le);
    else if (size === 4) dv.setUint32(0, Number(v) >>> 0, le);
    else if (size === 2) dv.setUint16(0, Number(v) & 0xffff, le);
    else if (size === 1) dv.setUint8(0, Number(v) & 0xff);
    else throw new BpfArgumentError(subject, `a number cannot fill a ${size}-byte member: give bytes`);
  }
}

/**
 * The map value (`struct bpf_struct_ops_<type>`) for these programs and fields, in the host's
 * byte order, from the ops struct's layout in kernel BTF.
 * @throws StructOpsTypeError for an unknown type or member, a program for a member that is not a
 * function pointer, or a field for one that is
 */
export function structOpsValue(o: StructOpsOptions): Uint8Array {
  const layout = structOpsValueType(o.type, kernelBtf());
  const value = new Uint8Array(layout.valueSize);
  for (const [name, program] of Object.entries(o.programs)) {
    const m = memberOf(layout, name);
    if (!m.funcPointer)
      throw new StructOpsTypeError(
        layout.type,
        `member '${name}' is not a function pointer: give it in fields`,
      );
    writeField(
      value,
      layout.dataOffset + m.offset,
      8,
      BigInt(program.fd),
      `struct_ops ${layout.type}.${name}`,
    );
  }
  for (const [name, v] of Object.entries(o.fields ?? {})) {
    const m = memberOf(layout, name);
    if (m.funcPointer)
      throw new StructOpsTypeError(
        layout.type,
        `member '${name}' is a function pointer: give a program in programs`,
      );
    writeField(value, layout.dataOffset + m.offset, m.size, v, `struct_ops ${layout.type}.${name}`);
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
