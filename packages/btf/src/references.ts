import type { BtfTypeSpec } from './kinds.js';

/** One type id a type refers to, with the field that holds it (for error messages). */
export interface TypeReference {
  /** The field, e.g. `type`, `members[2] 'next'`, `params[0]`. */
  readonly field: string;
  readonly id: number;
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
