/**
 * Merging equal types of the BTF {@link linkObjects} writes: the inputs' types appended one
 * after the other repeat what every object declares (`int`, `__u32`, `struct xdp_md`, map
 * definitions …). A type is merged with an earlier one of the same kind, fields and (merged)
 * referenced types. Types on a reference cycle (a struct holding a pointer to itself) and the
 * types that name one object's symbols (FUNC, VAR, DATASEC, DECL_TAG) are kept as they are.
 */
import type { BtfTypeSpec } from '@ts-ebpf/btf';

/** `spec` with every type id it refers to replaced by `id(ref)`. */
export function remapRefs(spec: BtfTypeSpec, id: (ref: number) => number): BtfTypeSpec {
  switch (spec.kind) {
    case 'array':
      return { ...spec, type: id(spec.type), indexType: id(spec.indexType) };
    case 'struct':
    case 'union':
      return { ...spec, members: spec.members.map((m) => ({ ...m, type: id(m.type) })) };
    case 'func_proto':
      return {
        ...spec,
        returnType: id(spec.returnType),
        params: spec.params.map((p) => ({ ...p, type: id(p.type) })),
      };
    case 'datasec':
      return { ...spec, vars: spec.vars.map((v) => ({ ...v, type: id(v.type) })) };
    default:
      // one target: pointers, typedefs, qualifiers, type tags, functions, variables, decl tags
      return 'type' in spec ? { ...spec, type: id(spec.type) } : spec;
  }
}

/** Kinds never merged: each names a symbol (or a section) of one object. */
const KEPT = new Set(['func', 'var', 'datasec', 'decl_tag']);
const UNVISITED = 0;
const ON_STACK = -1;

/**
 * Merges equal types of `types` (ids 1, 2, …, referring to each other by those ids).
 * @returns the types left, renumbered, and for every id of `types` its id among them
 */
export function dedupTypes(types: readonly BtfTypeSpec[]): { types: BtfTypeSpec[]; ids: Int32Array } {
  const n = types.length;
  // canon[id]: the id of the first type equal to it (itself when none is), once known
  const canon = new Int32Array(n + 1).fill(UNVISITED);
  const seen = new Map<string, number>();
  const visit = (id: number): number => {
    if (id === 0) return 0;
    const known = canon[id]!;
    if (known === ON_STACK) return ON_STACK;
    if (known !== UNVISITED) return known;
    canon[id] = ON_STACK;
    const spec = types[id - 1]!;
    let cyclic = false;
    const refs = remapRefs(spec, (ref) => {
      const c = visit(ref);
      if (c === ON_STACK) cyclic = true;
      return c;
    });
    if (cyclic || KEPT.has(spec.kind)) {
      canon[id] = id;
      return id;
    }
    const key = JSON.stringify(refs);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, id);
    canon[id] = first ?? id;
    return canon[id]!;
  };
  for (let id = 1; id <= n; id++) visit(id);
  const ids = new Int32Array(n + 1);
  const out: BtfTypeSpec[] = [];
  for (let id = 1; id <= n; id++) if (canon[id] === id) ids[id] = out.push(types[id - 1]!);
  for (let id = 1; id <= n; id++) ids[id] = ids[canon[id]!]!;
  return { types: out.map((t) => remapRefs(t, (ref) => ids[ref]!)), ids };
}
