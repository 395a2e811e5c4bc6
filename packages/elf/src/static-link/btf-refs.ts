/** Renumbering the type references of a BTF type (for the BTF {@link linkObjects} writes). */
import type { BtfTypeSpec } from '@ts-ebpf/btf';

/** `spec` with every type id it refers to replaced by `id(ref)`, in the order they appear. */
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
