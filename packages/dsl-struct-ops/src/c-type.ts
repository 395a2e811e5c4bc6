import { type Btf, resolveType, sizeOf } from '@ts-ebpf/btf';

/** A value's shape as the BPF program sees it: its width, sign, and what it points to. */
export interface ValueShape {
  /** BTF id (as declared, typedefs kept). */
  readonly typeId: number;
  /** C spelling, e.g. `u32`, `struct sock *`, `void`. */
  readonly cType: string;
  /** Width in bytes: 0 for void, 8 for a pointer. */
  readonly size: 0 | 1 | 2 | 4 | 8;
  /** True for a signed integer or enum. */
  readonly signed: boolean;
  /** True for a pointer. */
  readonly pointer: boolean;
  /** For a pointer to a struct or union: its name (`sock`). */
  readonly pointee?: string;
}

/** The C spelling of a type, from its BTF name chain. */
export function cTypeName(btf: Btf, id: number, depth = 0): string {
  if (depth > 32) return '?';
  const t = btf.type(id);
  switch (t.kind) {
    case 'void':
      return 'void';
    case 'ptr':
      return `${cTypeName(btf, t.type, depth + 1)} *`;
    case 'const':
    case 'volatile':
    case 'restrict':
      return `${t.kind} ${cTypeName(btf, t.type, depth + 1)}`;
    case 'type_tag':
      return cTypeName(btf, t.type, depth + 1);
    case 'struct':
    case 'union':
    case 'enum':
    case 'enum64':
      return t.name ? `${t.kind === 'enum64' ? 'enum' : t.kind} ${t.name}` : `anonymous ${t.kind}`;
    case 'func_proto':
      return 'function';
    case 'array':
      return `${cTypeName(btf, t.type, depth + 1)}[${t.nelems}]`;
    default:
      return t.name || t.kind;
  }
}

const WIDTHS = new Set([0, 1, 2, 4, 8]);

/**
 * The shape of a value of type `id` held in a register: integers, enums, bools and pointers.
 * Returns undefined for what does not fit a register (structs passed by value, arrays).
 */
export function valueShape(btf: Btf, id: number): ValueShape | undefined {
  const t = resolveType(btf, id);
  const cType = cTypeName(btf, id);
  if (t.kind === 'void') return { typeId: id, cType, size: 0, signed: false, pointer: false };
  if (t.kind === 'ptr') {
    const target = resolveType(btf, t.type);
    const pointee =
      (target.kind === 'struct' || target.kind === 'union') && target.name ? target.name : undefined;
    return { typeId: id, cType, size: 8, signed: false, pointer: true, ...(pointee && { pointee }) };
  }
  if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') {
    const size = sizeOf(btf, id);
    if (!WIDTHS.has(size)) return undefined;
    return { typeId: id, cType, size: size as ValueShape['size'], signed: t.signed, pointer: false };
  }
  return undefined;
}
