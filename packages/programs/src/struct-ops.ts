import { type Btf, checkStructOpsData, checkStructOpsMembers } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import {
  type BpfMap,
  StructOpsMap,
  StructOpsTypeError,
  type StructOpsValueType,
  structOpsValueType,
} from '@ts-ebpf/maps';
import {
  BpfArgumentError,
  BpfAttachType,
  BpfProgType,
  type BpfToken,
  close,
  dupFd,
  linkCreate,
  linkUpdate,
  mapDeleteElem,
  ObjectClosedError,
} from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { Link, LinkOperationError } from './link.js';
import type { Program } from './program.js';
import { memberOf } from './struct-ops-member.js';
import { explainStructOpsRefusal, type StructOpsGiven } from './struct-ops-refusal.js';

/** A data member's value: a number (host byte order, member-sized), a string (char array) or raw bytes. */
export type StructOpsField = number | bigint | string | Uint8Array;

/** What a kernel ops struct is implemented with: {@link StructOps.create} and {@link attachStructOps}. */
export interface StructOpsOptions {
  /** The kernel ops struct, e.g. `'tcp_congestion_ops'`. */
  readonly type: string;
  /**
   * Member name → the STRUCT_OPS program implementing it, loaded against that member
   * (`attachTo: 'type.member'`, or `attachBtfId` and `expectedAttachType` = the member's index).
   */
  readonly programs: Readonly<Record<string, Program>>;
  /**
   * Data members (`name`, `flags` …): numbers in the host's byte order, strings for char
   * arrays (NUL-terminated, zero-padded), or raw bytes of at most the member's size.
   */
  readonly fields?: Readonly<Record<string, StructOpsField>>;
  /** Map name (default the `name` field, else `'struct_ops'`; cut to 15 characters). */
  readonly mapName?: string;
  /** Register through a bpf_link (default true, kernel 6.4+) or by the map update alone. */
  readonly link?: boolean;
  /** Kernel BTF to resolve `type` in (default this machine's vmlinux BTF, parsed once). */
  readonly btf?: Btf;
  /** A loaded BTF object's fd for the map's `btf_fd` (default: a one-type BTF loaded for the call). */
  readonly btfFd?: number;
  /** A BPF token (`BpfToken`) the map (and its one-type BTF) is created under. */
  readonly token?: BpfToken;
}

function writeField(value: Uint8Array, at: number, size: number, v: StructOpsField, subject: string): void {
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
  } else if (typeof v === 'number' || typeof v === 'bigint') {
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8)
      throw new BpfArgumentError(subject, `a number cannot fill a ${size}-byte member: give bytes`);
    const n = integerFitting(v, size, subject);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, n), HOST_LITTLE_ENDIAN);
    value.set(HOST_LITTLE_ENDIAN ? bytes.subarray(0, size) : bytes.subarray(8 - size), at);
  } else {
    throw new BpfArgumentError(subject, `${String(v)} is not a number, bigint, string or Uint8Array`);
  }
}

/**
 * `v` as an integer that fits `size` bytes, as an unsigned or a signed value (the member's
 * signedness is the BTF's concern): a fraction, NaN or a value out of both ranges is refused
 * rather than cut to the member (2 ** 33 in a u32 became 0).
 */
function integerFitting(v: number | bigint, size: number, subject: string): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v))
    throw new BpfArgumentError(subject, `${v} is not an integer (give a bigint past 2 ** 53)`);
  const n = BigInt(v);
  const bits = BigInt(size * 8);
  if (n < -(1n << (bits - 1n)) || n >= 1n << bits)
    throw new BpfArgumentError(subject, `${v} does not fit the member's ${size} bytes`);
  return n;
}

/** Refuses a program that was not loaded as a STRUCT_OPS program for this member. */
function checkProgram(layout: StructOpsValueType, member: string, index: number, program: Program): void {
  if (program.type !== BpfProgType.STRUCT_OPS)
    throw new StructOpsTypeError(
      layout.type,
      `program '${program.name}' for member '${member}' is of type ${program.type}, not BPF_PROG_TYPE_STRUCT_OPS`,
    );
  const loadedFor = program.expectedAttachType;
  if (loadedFor !== undefined && loadedFor !== index) {
    const other = layout.members[loadedFor]?.name ?? `index ${loadedFor}`;
    throw new StructOpsTypeError(
      layout.type,
      `program '${program.name}' was loaded for member '${other}', not '${member}' (index ${index})`,
    );
  }
}

/**
 * The map value (`struct bpf_struct_ops_<type>`) for these programs and fields, in the host's
 * byte order, from the ops struct's layout in kernel BTF (`o.btf`, default vmlinux).
 * @throws StructOpsTypeError for an unknown type or member, a program for a member that is not a
 * function pointer (or loaded for another member), or a field for one that is
 * @throws BpfArgumentError naming the member when a field's value does not fit it
 * @throws StructOpsMembersError (of `@ts-ebpf/btf`) when a member the type requires is missing
 * (`tcp_congestion_ops`: `name`, `ssthresh`, `undo_cwnd`, `cong_avoid` or `cong_control`) or one
 * the kernel refuses from BPF is given (`get_info`)
 * @throws StructOpsDataError (of `@ts-ebpf/btf`) when a data member, given or left zero, breaks
 * the kernel's rules for the type: a name it does not copy, flags it does not know, a non-zero
 * member it does not take
 */
export function structOpsValue(o: StructOpsOptions): Uint8Array {
  const btf = o.btf ?? kernelBtf();
  return valueFor(structOpsValueType(o.type, btf), btf, o);
}

function valueFor(layout: StructOpsValueType, btf: Btf, o: StructOpsOptions, map?: string): Uint8Array {
  const value = new Uint8Array(layout.valueSize);
  for (const [name, program] of Object.entries(o.programs)) {
    const m = memberOf(layout, name);
    if (!m.funcPointer)
      throw new StructOpsTypeError(
        layout.type,
        `member '${name}' is not a function pointer: give it in fields`,
      );
    checkProgram(layout, name, m.index, program);
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
  // The members given, and every data member given or left zero, as the kernel will judge them.
  checkStructOpsMembers(layout.type, [...Object.keys(o.programs), ...Object.keys(o.fields ?? {})], map);
  for (const m of layout.members) {
    if (m.funcPointer) continue;
    const at = layout.dataOffset + m.offset;
    checkStructOpsData(btf, layout.type, m, value.subarray(at, at + m.size), map);
  }
  return value;
}

const ZERO_KEY = 0;
/** `BPF_F_REPLACE`: LINK_UPDATE swaps only if the old map is still the registered one. */
const BPF_F_REPLACE = 4;

/**
 * A kernel ops struct (`tcp_congestion_ops` …) implemented by BPF programs: the STRUCT_OPS map
 * created from kernel BTF and filled with the programs (function-pointer members) and the
 * data members. {@link StructOps.register} registers it with the kernel; closing the returned
 * link unregisters it. This is the one registration path: programs built with the DSL and
 * programs loaded from a C object (`@ts-ebpf/elf`'s `.struct_ops` maps) both come through here.
 *
 * `close()` (idempotent, `using`) releases the map; a registration made from it lives on in its
 * {@link StructOpsLink} until that is closed.
 */
export class StructOps implements Disposable {
  /** The ops struct (`'tcp_congestion_ops'`). */
  readonly type: string;
  /** True when registered through a bpf_link (the map was created with `BPF_F_LINK`). */
  readonly link: boolean;
  /** The value written to the map (a copy; host byte order). */
  readonly #value: Uint8Array;
  readonly #map: BpfMap<number, Uint8Array>;
  readonly #given: StructOpsGiven;
  #registered = false;
  #closed = false;

  private constructor(
    given: StructOpsGiven,
    link: boolean,
    map: BpfMap<number, Uint8Array>,
    value: Uint8Array,
  ) {
    this.type = given.type;
    this.link = link;
    this.#given = given;
    this.#map = map;
    this.#value = value;
  }

  /**
   * Creates and fills the STRUCT_OPS map; nothing is registered yet. With `link` (the default)
   * the value is written now (a `BPF_F_LINK` map's update does not register), so the ops can
   * also replace registered ones through {@link StructOpsLink.replace}.
   * @throws StructOpsTypeError when the kernel lacks the ops struct or a member, or a program
   * does not fit its member; BpfArgumentError for a field that does not fit; StructOpsMembersError
   * and StructOpsDataError (of `@ts-ebpf/btf`) for members and data the kernel's rules refuse,
   * before the map is made (see {@link structOpsValue}); AttachError when the
   * type's check refuses the value (EINVAL: a required member missing …); BpfSyscallError when
   * the kernel refuses the map
   */
  static create(o: StructOpsOptions): StructOps {
    const btf = o.btf ?? kernelBtf();
    const layout = structOpsValueType(o.type, btf);
    const link = o.link ?? true;
    const fieldName = o.fields?.name;
    const name = (o.mapName ?? (typeof fieldName === 'string' ? fieldName : 'struct_ops'))
      .replace(/[^A-Za-z0-9_.]/g, '_')
      .slice(0, 15);
    const value = valueFor(layout, btf, o, name);
    const map = StructOpsMap.create({
      type: layout.type,
      btf,
      link,
      name,
      ...(o.btfFd !== undefined ? { btfFd: o.btfFd } : {}),
      token: o.token,
    });
    const given: StructOpsGiven = {
      type: layout.type,
      name: typeof fieldName === 'string' ? fieldName : undefined,
      members: [...Object.keys(o.programs), ...Object.keys(o.fields ?? {})],
    };
    try {
      if (link) map.set(ZERO_KEY, value);
    } catch (e) {
      map.close();
      throw explainStructOpsRefusal(e, given);
    }
    return new StructOps(given, link, map, value);
  }

  /** The STRUCT_OPS map. @throws ObjectClosedError after close */
  get map(): BpfMap<number, Uint8Array> {
    this.#check();
    return this.#map;
  }

  /** The map value that was (or will be) written: `struct bpf_struct_ops_<type>`, a copy. */
  get value(): Uint8Array {
    return new Uint8Array(this.#value);
  }

  /** True once {@link StructOps.register} succeeded (even if that registration has ended since). */
  get registered(): boolean {
    return this.#registered;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw new ObjectClosedError(`struct_ops ${this.type}`);
  }

  /**
   * Registers the ops with the kernel: `BPF_LINK_CREATE` on the map (link mode) or the map
   * update that registers a legacy struct_ops map. Closing the returned link unregisters
   * (the link's end, or the map element's deletion). A map registers once.
   * @throws LinkOperationError when these ops were registered already
   * @throws AttachError when the kernel refuses: other ops of the type have the name (EEXIST), or
   * (legacy registration) the type's check refuses the value (EINVAL); BpfSyscallError otherwise
   */
  register(): StructOpsLink {
    this.#check();
    if (this.#registered)
      throw new LinkOperationError('struct_ops', 'register', `struct_ops ${this.type} is registered already`);
    if (this.link) {
      // The kernel's link holds the map: nothing of ours needs to stay open.
      let fd: number;
      try {
        fd = linkCreate({ progFd: this.#map.fd, targetFd: 0, attachType: BpfAttachType.STRUCT_OPS });
      } catch (e) {
        throw explainStructOpsRefusal(e, this.#given);
      }
      this.#registered = true;
      return new StructOpsLink(this.type, { kind: 'struct_ops', fd });
    }
    // A legacy registration ends by deleting the map's element: the link keeps the map open.
    const held = dupFd(this.#map.fd);
    try {
      this.#map.set(ZERO_KEY, this.#value);
    } catch (e) {
      close(held);
      throw explainStructOpsRefusal(e, this.#given);
    }
    this.#registered = true;
    return new StructOpsLink(this.type, {
      kind: 'struct_ops',
      extraFds: [held],
      detach: () => mapDeleteElem(held, new Uint8Array(4)),
    });
  }

  /** Closes the map; a registration stays until its link is closed. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#map.close();
  }

  /** Same as {@link StructOps.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A registered struct_ops: closing it unregisters the ops (the TCP congestion control's name
 * leaves `tcp_available_congestion_control`). A bpf_link registration can swap in other ops of
 * the same type atomically with {@link StructOpsLink.replace}.
 */
export class StructOpsLink extends Link {
  /** The ops struct (`'tcp_congestion_ops'`). */
  readonly type: string;

  /** @internal made by {@link StructOps.register} */
  constructor(type: string, parts: ConstructorParameters<typeof Link>[0]) {
    super(parts);
    this.type = type;
  }

  /**
   * Registers `next` in place of the ops this link holds (`BPF_LINK_UPDATE` with the new map):
   * the kernel unregisters the old ops and registers the new ones in one step (for TCP: the
   * same `name`). With `previous`, the swap happens only if those are still the registered ops.
   * `next` may be closed afterwards; this link keeps the new map.
   * @throws LinkOperationError for a map-update registration (no bpf_link) or ops of another type
   * @throws BpfSyscallError when the kernel refuses the swap
   */
  replace(next: StructOps, previous?: StructOps): void {
    if (!this.isBpfLink)
      throw new LinkOperationError(
        'struct_ops',
        'replace the ops of',
        'it was registered by a map update, not a bpf_link',
      );
    if (!next.link)
      throw new LinkOperationError(
        'struct_ops',
        'replace the ops of',
        'the new ops were created without link: true',
      );
    if (next.type !== this.type)
      throw new LinkOperationError(
        'struct_ops',
        'replace the ops of',
        `it holds ${this.type}, the new ops are ${next.type}`,
      );
    // link_update's new_map_fd and old_map_fd share new_prog_fd's and old_prog_fd's places.
    linkUpdate(this.fd, next.map.fd, previous ? { oldProgFd: previous.map.fd, flags: BPF_F_REPLACE } : {});
  }

  /** Struct_ops links hold maps, not programs: use {@link StructOpsLink.replace}. */
  override update(_program: Program, _oldProgram?: Program): void {
    throw new LinkOperationError('struct_ops', 'update the program of', 'it holds a map: use replace(ops)');
  }
}

/**
 * Registers a kernel ops struct implemented by BPF programs in one call:
 * `StructOps.create(o).register()`, the map released once the link holds it.
 * Closing the link unregisters.
 */
export function attachStructOps(o: StructOpsOptions): StructOpsLink {
  using ops = StructOps.create(o);
  return ops.register();
}
