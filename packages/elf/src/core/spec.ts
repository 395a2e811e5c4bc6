import { type ArrayType, type Btf, BtfError, type CoreReloKindName, resolveType, sizeOf } from '@ts-ebpf/btf';
import { CoreError } from './errors.js';
import { isComposite } from './names.js';

/** One step of an access path: a named member of `typeId`, or element `idx` of an array of `typeId`. */
export interface CoreAccessor {
  /** For a member: the struct/union holding it; for an array element: the element type. */
  readonly typeId: number;
  readonly idx: number;
  /** The member's name; undefined for an array index. */
  readonly name?: string;
}

/** An access string resolved against one BTF (libbpf's `bpf_core_spec`). */
export interface CoreSpec {
  readonly btf: Btf;
  readonly rootTypeId: number;
  readonly kind: CoreReloKindName;
  /** Named members and array indexes; anonymous struct/union members are skipped. */
  readonly accessors: CoreAccessor[];
  /** Every index of the path, anonymous members included. */
  readonly raw: number[];
  /** Bit offset of the field from the start of the root object. */
  bitOffset: number;
}

const TYPE_BASED: ReadonlySet<CoreReloKindName> = new Set([
  'type_id_local',
  'type_id_target',
  'type_exists',
  'type_matches',
  'type_size',
]);

/** Relocations about a whole type. */
export function isTypeBased(kind: CoreReloKindName): boolean {
  return TYPE_BASED.has(kind);
}

/** Relocations about an enumerator. */
export function isEnumvalBased(kind: CoreReloKindName): boolean {
  return kind === 'enumval_exists' || kind === 'enumval_value';
}

/** Size of a type, with BTF's error turned into a CoreError. */
export function sizeOrFail(btf: Btf, id: number): number {
  try {
    return sizeOf(btf, id);
  } catch (e) {
    if (e instanceof BtfError) throw new CoreError(`type [${id}] has no size: ${e.message}`);
    throw e;
  }
}

/** A flexible array: the last member of a struct, declared with no elements. */
export function isFlexArray(btf: Btf, parent: CoreAccessor | undefined, array: ArrayType): boolean {
  if (!parent?.name || array.nelems > 0) return false;
  const t = btf.type(parent.typeId);
  return isComposite(t) && parent.idx === t.members.length - 1;
}

/**
 * Resolves a relocation's access string against the local BTF, as libbpf's
 * `bpf_core_parse_spec` does.
 * @throws CoreError when the access string does not fit the type
 */
export function parseSpec(btf: Btf, rootTypeId: number, access: string, kind: CoreReloKindName): CoreSpec {
  const fail = (why: string): never => {
    throw new CoreError(`access string '${access}' of ${kind} on type [${rootTypeId}]: ${why}`);
  };
  if (!/^\d+(:\d+)*$/.test(access)) fail('not a list of indexes');
  const raw = access.split(':').map(Number);
  const spec: CoreSpec = { btf, rootTypeId, kind, accessors: [], raw, bitOffset: 0 };
  if (isTypeBased(kind)) {
    if (access !== '0') fail('a type relocation takes access string 0');
    return spec;
  }
  let t = resolveType(btf, rootTypeId);
  let id = t.id;
  const first = raw[0]!;
  if (isEnumvalBased(kind)) {
    if ((t.kind !== 'enum' && t.kind !== 'enum64') || raw.length > 1 || first >= t.values.length)
      fail('not an enumerator of an enum');
    const values = (t as { values: readonly { name: string }[] }).values;
    spec.accessors.push({ typeId: id, idx: first, name: values[first]!.name });
    return spec;
  }
  spec.accessors.push({ typeId: id, idx: first });
  spec.bitOffset = first * sizeOrFail(btf, id) * 8;
  for (let i = 1; i < raw.length; i++) {
    t = resolveType(btf, id);
    id = t.id;
    const idx = raw[i]!;
    if (isComposite(t)) {
      const m = t.members[idx] ?? fail(`${t.kind} ${t.name || '(anon)'} has no member ${idx}`);
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.accessors.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === 'array') {
      const elem = resolveType(btf, t.type);
      id = elem.id;
      if (!isFlexArray(btf, spec.accessors.at(-1), t) && idx >= t.nelems)
        fail(`index ${idx} is past the ${t.nelems} elements of the array`);
      spec.accessors.push({ typeId: id, idx });
      spec.bitOffset += idx * sizeOrFail(btf, id) * 8;
    } else {
      fail(`step ${i} reaches a ${t.kind}, not a struct, union or array`);
    }
  }
  return spec;
}

/** `struct sample.pts[2].y`, `enum color::BLUE`, `struct sample`: what a spec points at. */
export function formatSpec(spec: CoreSpec): string {
  let out = typeLabel(spec.btf, spec.rootTypeId);
  if (isTypeBased(spec.kind)) return out;
  if (isEnumvalBased(spec.kind)) return `${out}::${spec.accessors[0]?.name}`;
  spec.accessors.forEach((a, i) => {
    if (a.name) out += `.${a.name}`;
    else if (i > 0 || a.idx !== 0) out += `[${a.idx}]`;
  });
  return out;
}

/** A type as C spells it: `struct sample`, `enum color`, `u32`, `(anon)`. */
export function typeLabel(btf: Btf, id: number): string {
  const t = btf.type(id);
  if (t.kind === 'void') return 'void';
  const kw =
    t.kind === 'struct' || t.kind === 'union'
      ? `${t.kind} `
      : t.kind === 'enum' || t.kind === 'enum64'
        ? 'enum '
        : '';
  return `${kw}${t.name || '(anon)'}`;
}
