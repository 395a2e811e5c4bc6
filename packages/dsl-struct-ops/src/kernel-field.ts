import { type Btf, BtfError, fieldPath, membersOf, resolveType } from '@ts-ebpf/btf';
import {
  and,
  arsh,
  type Instruction,
  ldx,
  lsh,
  movsx,
  type Register,
  rsh,
  type SizeName,
  stx,
} from '@ts-ebpf/dsl';
import type { ByteOrder } from '@ts-ebpf/uapi';
import type { StructOpsType } from './describe.js';
import { KernelFieldError } from './errors.js';

/** Where a field of a kernel struct is, from BTF. */
export interface KernelField {
  /** `<struct>.<path>` as asked, e.g. `tcp_sock.icsk_ca_state`. */
  readonly subject: string;
  /** The full path from the struct, base structs spelled out (`inet_conn.icsk_ca_state`). */
  readonly path: string;
  /** Byte offset of the field (of the byte holding its first bit, for a bitfield). */
  readonly offset: number;
  /** Byte size of the field's type (a bitfield's storage unit). */
  readonly size: number;
  /** Bit offset from the struct's start. */
  readonly bitOffset: number;
  /** Bits of the field. */
  readonly bitSize: number;
  /** True for a bitfield. */
  readonly bitfield: boolean;
  /** True for a signed integer or enum. */
  readonly signed: boolean;
  /** True for a pointer. */
  readonly pointer: boolean;
}

const SIZE_NAMES: Readonly<Record<number, SizeName>> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

function structId(btf: Btf, name: string): number {
  const id = btf.findIds(name, 'struct')[0] ?? btf.findIds(name, 'union')[0];
  if (id === undefined) throw new KernelFieldError(name, 'no such struct in the BTF');
  return id;
}

/** The name of the first member when it is a struct at offset 0 (C's way to "inherit"). */
function baseMember(btf: Btf, id: number): { name: string; type: number } | undefined {
  const first = membersOf(btf, id)[0];
  if (first?.bitOffset !== 0 || first.name === '') return undefined;
  const t = resolveType(btf, first.type);
  return t.kind === 'struct' ? { name: first.name, type: first.type } : undefined;
}

/**
 * Finds `path` (`snd_cwnd`, `icsk_ca_state`, `icsk_ack.pending`, `icsk_ca_priv[2]`) in kernel
 * struct `struct` of `btf`, looking into its base structs (`tcp_sock` → `inet_connection_sock` →
 * `inet_sock` → `sock`) for a name it does not have itself.
 * @throws KernelFieldError naming `<struct>.<path>` when there is no such field, or it is not a
 * number or pointer (a struct, an array as a whole)
 */
export function kernelField(btf: Btf, struct: string, path: string): KernelField {
  const { subject, prefix, found } = locate(btf, struct, path);
  const t = resolveType(btf, found.type);
  const pointer = t.kind === 'ptr';
  if (!pointer && t.kind !== 'int' && t.kind !== 'enum' && t.kind !== 'enum64')
    throw new KernelFieldError(
      subject,
      `is a ${t.kind}, not a number or pointer: name one of its fields or elements`,
    );
  return {
    subject,
    path: `${prefix}${path}`,
    offset: found.byteOffset,
    size: found.size,
    bitOffset: found.bitOffset,
    bitSize: found.bitSize,
    bitfield: found.bitfield,
    signed: found.signed,
    pointer,
  };
}

/** Finds `path` in `struct` or its base structs (a base starts at offset 0, so offsets carry over). */
function locate(btf: Btf, struct: string, path: string) {
  const subject = `${struct}.${path}`;
  let id = structId(btf, struct);
  let prefix = '';
  let firstError: BtfError | undefined;
  for (let depth = 0; depth < 16; depth++) {
    try {
      return { subject, prefix, found: fieldPath(btf, id, `.${path}`) };
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
      firstError ??= e;
      const base = baseMember(btf, id);
      if (!base) break;
      prefix += `${base.name}.`;
      id = base.type;
    }
  }
  throw new KernelFieldError(subject, 'no such field in the BTF', { cause: firstError });
}

/** The smallest load (1, 2, 4 or 8 bytes) at the bitfield's first byte covering all its bits. */
function bitfieldUnit(f: KernelField): number {
  const first = Math.floor(f.bitOffset / 8);
  const end = Math.ceil((f.bitOffset + f.bitSize) / 8);
  const unit = [1, 2, 4, 8].find((n) => n >= end - first);
  if (unit === undefined) throw new KernelFieldError(f.subject, 'a bitfield spread over more than 8 bytes');
  return unit;
}

/**
 * `dst = ptr->field`, the field of `struct` found by {@link kernelField}: a load of its width
 * (sign-extended when signed); a bitfield is loaded in the smallest unit holding it, shifted and
 * masked (the verifier lets BTF pointers be read at any member). `ptr` must hold a pointer the
 * verifier knows as `struct` (or a struct that has it as base).
 */
export function loadKernelField(
  btf: Btf,
  struct: string,
  path: string,
  dst: Register,
  ptr: Register,
  byteOrder: ByteOrder = btf.byteOrder,
): Instruction[] {
  const f = kernelField(btf, struct, path);
  if (!f.bitfield) {
    const out = [ldx(SIZE_NAMES[f.size]!, dst, ptr, f.offset)];
    if (f.signed && f.size < 8) out.push(movsx(dst, dst, (f.size * 8) as 8 | 16 | 32));
    return out;
  }
  const unit = bitfieldUnit(f);
  const at = Math.floor(f.bitOffset / 8);
  const within = f.bitOffset - at * 8;
  // Little-endian counts bits from the unit's least significant end, big-endian from its most.
  const shift = byteOrder === 'little' ? within : unit * 8 - within - f.bitSize;
  const out = [ldx(SIZE_NAMES[unit]!, dst, ptr, at)];
  if (f.signed) {
    out.push(lsh(dst, 64 - shift - f.bitSize), arsh(dst, 64 - f.bitSize));
  } else {
    if (shift !== 0) out.push(rsh(dst, shift));
    if (f.bitSize < unit * 8) out.push(and(dst, 2 ** f.bitSize - 1));
  }
  return out;
}

/** Whether field `f` of `struct` lies inside a field the ops type's programs may write. */
function writable(ops: StructOpsType, struct: string, f: KernelField): boolean {
  const paths = ops.rules.writable[struct] ?? [];
  return paths.some((p) => {
    let w: ReturnType<typeof locate>['found'];
    try {
      w = locate(ops.btf, struct, p).found;
    } catch (e) {
      if (e instanceof KernelFieldError) return false; // a field this kernel does not have
      throw e;
    }
    return f.offset >= w.byteOffset && f.offset + f.size <= w.byteOffset + w.size;
  });
}

/**
 * `ptr->field = src` for a field struct_ops programs of `ops` may write (for TCP congestion
 * control: `snd_cwnd`, `snd_ssthresh`, `snd_cwnd_cnt`, `icsk_ca_priv[i]` … of `tcp_sock`).
 * @throws KernelFieldError naming `<struct>.<path>` when the kernel would refuse the write
 * (a read-only field, a bitfield, a struct the ops type may not write to), before the load
 */
export function storeKernelField(
  ops: StructOpsType,
  struct: string,
  path: string,
  ptr: Register,
  src: Register,
): Instruction {
  const f = kernelField(ops.btf, struct, path);
  if (f.bitfield) throw new KernelFieldError(f.subject, 'is a bitfield: BPF programs cannot write bitfields');
  if (!writable(ops, struct, f)) {
    const allowed = Object.entries(ops.rules.writable)
      .map(([s, ps]) => ps.map((p) => `${s}.${p}`).join(', '))
      .join(', ');
    throw new KernelFieldError(
      f.subject,
      `is read-only for ${ops.type} programs (writable: ${allowed || 'nothing'})`,
    );
  }
  return stx(SIZE_NAMES[f.size]!, ptr, src, f.offset);
}
