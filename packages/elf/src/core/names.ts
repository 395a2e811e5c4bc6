import type { Btf, BtfKind, BtfType } from '@ts-ebpf/btf';

/**
 * The name without its `___flavor` suffix, as libbpf's `bpf_core_essential_name_len`
 * computes it: the last `X___Y` (X and Y not underscores) ends the essential name.
 */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name.startsWith('___', i + 1) && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

/** True when both kinds are the same, or both are enums (32 or 64 bit). */
export function kindsCompatible(a: BtfKind, b: BtfKind): boolean {
  return a === b || (isEnumKind(a) && isEnumKind(b));
}

/** True for `enum` and `enum64`. */
export function isEnumKind(kind: BtfKind): boolean {
  return kind === 'enum' || kind === 'enum64';
}

/** True for `struct` and `union`. */
export function isComposite(t: BtfType): t is Extract<BtfType, { kind: 'struct' | 'union' }> {
  return t.kind === 'struct' || t.kind === 'union';
}

/** Flavored names (`foo___bar`) of a BTF, by essential name; built once per BTF. */
const flavoredIndex = new WeakMap<Btf, Map<string, number[]>>();

function flavored(btf: Btf): Map<string, number[]> {
  let index = flavoredIndex.get(btf);
  if (index) return index;
  index = new Map();
  for (let id = 1; id < btf.typeCount; id++) {
    const name = btf.nameOf(id);
    if (!name.includes('___')) continue;
    const essential = essentialName(name);
    if (essential === name) continue;
    const ids = index.get(essential);
    if (ids) ids.push(id);
    else index.set(essential, [id]);
  }
  flavoredIndex.set(btf, index);
  return index;
}

/**
 * Ids of the target types that may stand for a local type, as libbpf's candidate
 * search picks them: a compatible kind and the same essential name (either side
 * may carry a flavor suffix). Sorted by id.
 */
export function candidateIds(target: Btf, localName: string, localKind: BtfKind): number[] {
  const essential = essentialName(localName);
  const ids = [...target.findIds(essential), ...(flavored(target).get(essential) ?? [])];
  return ids.filter((id) => kindsCompatible(target.kindOf(id), localKind)).sort((a, b) => a - b);
}
