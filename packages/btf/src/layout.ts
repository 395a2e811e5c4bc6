import { BtfError } from './errors.js';
import type { BtfType, CompositeType } from './kinds.js';

/** Anything that hands out types by id: a parsed {@link Btf} or a {@link BtfBuilder}. */
export interface TypeSource {
  /** The type with this id (0 is void). */
  type(id: number): BtfType;
  /** True when types never change, so layouts may be cached. */
  readonly immutable?: boolean;
}

/** Size of a pointer in bytes (BPF and every 64-bit target). */
export const POINTER_SIZE = 8;
/** The longest chain of non-pointer references followed before a cycle is assumed. */
const MAX_DEPTH = 64;

/** Which wrappers {@link resolveType} skips. */
export interface ResolveOptions {
  /** Skip typedefs (default true). */
  readonly typedefs?: boolean;
  /** Skip const, volatile, restrict and type tags (default true). */
  readonly qualifiers?: boolean;
}

/**
 * Follows typedefs and qualifiers from `id` to the underlying type.
 * @throws BtfError on a reference cycle
 */
export function resolveType(btf: TypeSource, id: number, options: ResolveOptions = {}): BtfType {
  const typedefs = options.typedefs ?? true;
  const quals = options.qualifiers ?? true;
  let t = btf.type(id);
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw new BtfError(`type ${id} has a cycle of typedefs or qualifiers`);
    if (t.kind === 'typedef' ? !typedefs : !(quals && isQualifier(t.kind))) return t;
    t = btf.type((t as { type: number }).type);
  }
}

/** True for const, volatile, restrict and type_tag. */
export function isQualifier(kind: string): boolean {
  return kind === 'const' || kind === 'volatile' || kind === 'restrict' || kind === 'type_tag';
}

/**
 * Size in bytes of a type, as `sizeof` would give it.
 * @throws BtfError for types without a size (void, func, fwd) and for cycles
 */
export function sizeOf(btf: TypeSource, id: number): number {
  let mult = 1;
  let cur = id;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw new BtfError(`type ${id} has a reference cycle without a pointer`);
    const t = btf.type(cur);
    switch (t.kind) {
      case 'int':
      case 'float':
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'datasec':
        return mult * t.size;
      case 'ptr':
        return mult * POINTER_SIZE;
      case 'array':
        mult *= t.nelems;
        cur = t.type;
        break;
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
      case 'var':
        cur = t.type;
        break;
      default:
        throw new BtfError(`type ${cur} (${t.kind}) has no size`);
    }
  }
}

const alignCaches = new WeakMap<TypeSource, Map<number, number>>();

/**
 * Alignment in bytes of a type, computed as libbpf does: scalars align to their
 * size capped at the pointer size; a struct whose layout shows it is packed aligns to 1.
 * @throws BtfError for types without an alignment and for cycles
 */
export function alignOf(btf: TypeSource, id: number, depth = 0): number {
  if (depth > MAX_DEPTH) throw new BtfError(`type ${id} has a reference cycle without a pointer`);
  let cache = alignCaches.get(btf);
  if (!cache && btf.immutable) {
    cache = new Map();
    alignCaches.set(btf, cache);
  }
  const hit = cache?.get(id);
  if (hit !== undefined) return hit;
  const t = btf.type(id);
  let a: number;
  switch (t.kind) {
    case 'int':
    case 'float':
    case 'enum':
    case 'enum64':
      a = Math.max(1, Math.min(t.size, POINTER_SIZE));
      break;
    case 'ptr':
      a = POINTER_SIZE;
      break;
    case 'array':
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
    case 'var':
      a = alignOf(btf, t.type, depth + 1);
      break;
    case 'struct':
    case 'union':
      a = compositeAlign(btf, t, depth);
      break;
    default:
      throw new BtfError(`type ${id} (${t.kind}) has no alignment`);
  }
  cache?.set(id, a);
  return a;
}

function compositeAlign(btf: TypeSource, t: CompositeType, depth: number): number {
  let max = 1;
  for (const m of t.members) {
    const a = alignOf(btf, m.type, depth + 1);
    max = Math.max(max, a);
    if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
  }
  return t.size % max !== 0 ? 1 : max;
}

/** True when a struct's layout can only be reproduced with `__attribute__((packed))`. */
export function isPacked(btf: TypeSource, t: CompositeType): boolean {
  if (t.kind !== 'struct') return false;
  let max = 1;
  for (const m of t.members) {
    const a = alignOf(btf, m.type);
    max = Math.max(max, a);
    if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return true;
  }
  return t.size % max !== 0;
}

/** A struct or union member with its position spelled out. */
export interface MemberLayout {
  readonly name: string;
  readonly type: number;
  /** Offset of the first bit from the start of the containing object. */
  readonly bitOffset: number;
  /** `bitOffset / 8` rounded down. */
  readonly byteOffset: number;
  /** Bits of a bitfield, 0 for a plain member. */
  readonly bitfieldSize: number;
  /** Size of the member's type in bytes (a bitfield's storage unit). */
  readonly size: number;
}

/**
 * The members of a struct or union (typedefs and qualifiers resolved) with offsets.
 * @throws BtfError when `id` is not a struct or union
 */
export function membersOf(btf: TypeSource, id: number): MemberLayout[] {
  const t = resolveType(btf, id);
  if (t.kind !== 'struct' && t.kind !== 'union')
    throw new BtfError(`type ${id} is a ${t.kind}, not a struct or union`);
  return t.members.map((m) => {
    const { bitOffset, bitfieldSize } = memberBits(btf, m);
    return {
      name: m.name,
      type: m.type,
      bitOffset,
      byteOffset: Math.floor(bitOffset / 8),
      bitfieldSize,
      size: sizeOf(btf, m.type),
    };
  });
}

/**
 * A member's bit offset and bitfield width, also for the old encoding (no kind_flag)
 * where an INT type carries the width and an offset of its own.
 */
export function memberBits(
  btf: TypeSource,
  m: { type: number; bitOffset: number; bitfieldSize: number },
): { bitOffset: number; bitfieldSize: number } {
  if (m.bitfieldSize !== 0) return m;
  const t = resolveType(btf, m.type);
  if (t.kind === 'int' && (t.bitOffset !== 0 || t.bits !== t.size * 8) && t.bits > 0) {
    return { bitOffset: m.bitOffset + t.bitOffset, bitfieldSize: t.bits };
  }
  return m;
}
