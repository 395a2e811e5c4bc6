import type { Btf, BtfType } from '@ts-ebpf/btf';
import type { JsonValue } from './json.js';

/** bpftool's name for an empty name. */
const anon = (name: string) => name || '(anon)';

function intEncoding(t: Extract<BtfType, { kind: 'int' }>): string {
  if (t.signed) return 'SIGNED';
  if (t.char) return 'CHAR';
  if (t.bool) return 'BOOL';
  return '(none)';
}

/**
 * One BTF type as `bpftool -j btf dump` (format raw) prints it: `id`, `kind` in capitals,
 * `name` (`"(anon)"` when empty) and the kind's own fields under bpftool's names (`type_id`,
 * `bits_offset`, `nr_elems`, `members`, `params`, `vars` …).
 */
export function btfTypeJson(btf: Btf, id: number): JsonValue {
  const t = btf.type(id);
  const head = { id, kind: t.kind.toUpperCase(), name: anon(t.name) };
  switch (t.kind) {
    case 'int':
      return { ...head, size: t.size, bits_offset: t.bitOffset, nr_bits: t.bits, encoding: intEncoding(t) };
    case 'ptr':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'typedef':
    case 'type_tag':
      return { ...head, type_id: t.type };
    case 'array':
      return { ...head, type_id: t.type, index_type_id: t.indexType, nr_elems: t.nelems };
    case 'struct':
    case 'union':
      return {
        ...head,
        size: t.size,
        vlen: t.members.length,
        members: t.members.map((m) => ({
          name: anon(m.name),
          type_id: m.type,
          bits_offset: m.bitOffset,
          bitfield_size: m.bitfieldSize > 0 ? m.bitfieldSize : undefined,
        })),
      };
    case 'enum':
    case 'enum64':
      return {
        ...head,
        encoding: t.signed ? 'SIGNED' : 'UNSIGNED',
        size: t.size,
        vlen: t.values.length,
        values: t.values.map((v) => ({ name: anon(v.name), val: v.value })),
      };
    case 'fwd':
      return { ...head, fwd_kind: t.fwdKind };
    case 'func':
      return { ...head, type_id: t.type, linkage: t.linkage };
    case 'func_proto':
      return {
        ...head,
        ret_type_id: t.returnType,
        vlen: t.params.length,
        params: t.params.map((p) => ({ name: anon(p.name), type_id: p.type })),
      };
    case 'var':
      return { ...head, type_id: t.type, linkage: t.linkage };
    case 'datasec':
      return {
        ...head,
        size: t.size,
        vlen: t.vars.length,
        vars: t.vars.map((v) => ({ type_id: v.type, offset: v.offset, size: v.size })),
      };
    case 'float':
      return { ...head, size: t.size };
    case 'decl_tag':
      return { ...head, type_id: t.type, component_idx: t.componentIdx };
    default:
      return head;
  }
}

/** The ids of the types `btf` itself defines (split BTF: not its base's), first to last. */
export function* ownTypeIds(btf: Btf): Generator<number> {
  for (let id = btf.firstId; id < btf.typeCount; id++) yield id;
}
