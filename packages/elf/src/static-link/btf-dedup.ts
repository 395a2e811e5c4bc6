/**
 * Merging equal types of the BTF {@link linkObjects} writes, as libbpf's `btf__dedup` does: the
 * inputs' types appended one after the other repeat what every object declares (`int`,
 * `__u32`, `struct xdp_md`, map definitions …).
 *
 * - Types whose graphs are equal become one, reference cycles included (see `TypeGraph`):
 *   two objects' copies of `struct node { struct node *next; … }` are one struct.
 * - A forward declaration (`struct foo;`) is replaced by the complete `struct foo` (or union, as
 *   it declares) when exactly one such type is left after merging: references to it then
 *   refer to the struct, and other types may become equal through that (a struct holding a
 *   `struct foo *` in one object and in the other). With two different complete ones of that
 *   name, or none, the declaration stays as it is (as the kernel accepts it): which one it meant
 *   cannot be told, and no guess is made.
 * - Variables and data sections are kept as they are: each names one object's symbol or the
 *   output's section.
 *
 * Each merged type keeps the place of its first copy; the others are dropped.
 */
import type { BtfTypeSpec } from '@ts-ebpf/btf';
import { remapRefs } from './btf-refs.js';
import { TypeGraph } from './type-classes.js';

/** Kinds never merged: each names a variable of one object or an output section. */
const KEPT = new Set(['var', 'datasec']);

/**
 * Merges equal types of `types` (ids 1, 2, …, referring to each other by those ids).
 * @returns the types left, renumbered, and for every id of `types` its id among them
 */
export function dedupTypes(types: readonly BtfTypeSpec[]): { types: BtfTypeSpec[]; ids: Int32Array } {
  const n = types.length;
  // target[id]: the type a reference to `id` stands for (a resolved forward declaration's struct)
  const target = new Int32Array(n + 1).map((_, id) => id);
  const unique = (id: number) => KEPT.has(types[id - 1]!.kind);
  const graph = new TypeGraph(types, unique);
  let classes: Int32Array;
  do classes = graph.classes((id) => target[id]!);
  while (resolveForwards(types, classes, target) > 0);

  // the first type of each class stands for it; a resolved declaration, for its struct's class
  const first = new Map<number, number>();
  const canon = new Int32Array(n + 1);
  for (let id = 1; id <= n; id++) {
    const c = classes[target[id]!]!;
    if (!first.has(c)) first.set(c, target[id]!);
  }
  for (let id = 1; id <= n; id++) canon[id] = first.get(classes[target[id]!]!)!;
  const ids = new Int32Array(n + 1);
  const out: BtfTypeSpec[] = [];
  for (let id = 1; id <= n; id++) if (canon[id] === id) ids[id] = out.push(types[id - 1]!);
  for (let id = 1; id <= n; id++) ids[id] = ids[canon[id]!]!;
  return { types: out.map((t) => remapRefs(t, (ref) => ids[ref]!)), ids };
}

/**
 * Points every forward declaration not yet resolved whose name has one class of complete
 * structs (or unions, as it declares) at that class's first type.
 * @returns how many were resolved
 */
function resolveForwards(types: readonly BtfTypeSpec[], classes: Int32Array, target: Int32Array): number {
  const complete = new Map<string, { classes: Set<number>; first: number }>();
  types.forEach((t, i) => {
    if ((t.kind !== 'struct' && t.kind !== 'union') || t.name === '') return;
    const key = `${t.kind} ${t.name}`;
    const found = complete.get(key);
    if (found) found.classes.add(classes[i + 1]!);
    else complete.set(key, { classes: new Set([classes[i + 1]!]), first: i + 1 });
  });
  let resolved = 0;
  types.forEach((t, i) => {
    if (t.kind !== 'fwd' || target[i + 1] !== i + 1) return;
    const found = complete.get(`${t.fwdKind} ${t.name}`);
    if (found?.classes.size !== 1) return;
    target[i + 1] = found.first;
    resolved++;
  });
  return resolved;
}
