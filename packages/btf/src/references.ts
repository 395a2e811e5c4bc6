import type { BtfTypeSpec } from './kinds.js';

/** One type id a type refers to, with the field that holds it (for error messages). */
export interface TypeReference {
  /** The field, e.g. `type`, `members[2] 'next'`, `params[0]`. */
  readonly field: string;
  readonly id: number;
}

/**
 * The highest type id a type refers to (0 when it refers to none): allocates nothing, so a
 * decoder can check every type it reads; {@link typeReferences} then names the field.
 */
export function highestReference(t: BtfTypeSpec): number {
  let max = 0;
  switch (t.kind) {
    case 'array':
      return Math.max(t.type, t.indexType);
    case 'struct':
    case 'union':
      for (const m of t.members) if (m.type > max) max = m.type;
      return max;
    case 'func_proto':
      max = t.returnType;
      for (const p of t.params) if (p.type > max) max = p.type;
      return max;
    case 'datasec':
      for (const v of t.vars) if (v.type > max) max = v.type;
      return max;
    default:
      return 'type' in t ? t.type : 0;
  }
}

/** The type ids a type refers to: its target, element, members, parameters, variables. */
export function typeReferences(t: BtfTypeSpec): TypeReference[] {
  switch (t.kind) {
    case 'array':
      return [
        { field: 'element type', id: t.type },
        { field: 'index type', id: t.indexType },
      ];
    case 'struct':
    case 'union':
      return t.members.map((m, i) => ({ field: `member ${i} '${m.name}'`, id: m.type }));
    case 'func_proto':
      return [
        { field: 'return type', id: t.returnType },
        ...t.params.map((p, i) => ({ field: `parameter ${i}${p.name ? ` '${p.name}'` : ''}`, id: p.type })),
      ];
    case 'datasec':
      return t.vars.map((v, i) => ({ field: `variable ${i}`, id: v.type }));
    default:
      // ptr, typedef, qualifiers, type_tag, func, var, decl_tag: one target
      return 'type' in t ? [{ field: 'type', id: t.type }] : [];
  }
}

/** Describes a type for error messages: `struct 'task' (id 7)`. */
export function subject(t: BtfTypeSpec, id: number): string {
  return `${t.kind}${t.name ? ` '${t.name}'` : ''} (id ${id})`;
}
