/**
 * Equivalence of BTF type graphs, for the merging of equal types (see `dedupTypes`): two types
 * are equal when they have the same shape (kind, name, size, member names and offsets, …) and,
 * reference by reference, refer to equal types. The relation is the largest one with that
 * property, so graphs with reference cycles (a `struct node` holding a `struct node *`) are
 * equal when they unfold alike: two objects' copies of a linked-list node are one type.
 *
 * Computed by partition refinement: types start in one class per shape and a class is split
 * while its types refer to different classes, until no class splits.
 */
import type { BtfTypeSpec } from '@ts-ebpf/btf';
import { remapRefs } from './btf-refs.js';

/**
 * The types of a BTF (ids 1, 2, …, referring to each other by those ids) as a graph whose
 * equal types {@link TypeGraph.classes} finds.
 */
export class TypeGraph {
  /** For each id, the types it refers to, in order. */
  private readonly refs: number[][] = [[]];
  /** For each id, its class before references are looked at (one per shape). */
  private readonly shapes: Int32Array;

  /**
   * @param types - the types, id 1 first
   * @param unique - whether type `id` is equal to no other (it names one object's variable)
   */
  constructor(types: readonly BtfTypeSpec[], unique: (id: number) => boolean) {
    const keys: string[] = [''];
    types.forEach((t, i) => {
      const out: number[] = [];
      // the shape: the type with every reference zeroed (the references are compared apart)
      const shape = remapRefs(t, (ref) => {
        out.push(ref);
        return 0;
      });
      this.refs.push(out);
      keys.push(unique(i + 1) ? `#${i + 1}` : JSON.stringify(shape, bigints));
    });
    this.shapes = number(types.length, (id) => keys[id]!);
  }

  /**
   * The class of every type: equal types (see above) share one; `[0]` (void) is -1.
   * @param target - the type a reference to `id` stands for (a forward declaration's struct,
   * once resolved)
   */
  classes(target: (id: number) => number): Int32Array {
    const n = this.refs.length - 1;
    let classes = this.shapes;
    let count = countOf(classes);
    for (;;) {
      const prev = classes;
      classes = number(n, (id) => {
        let key = String(prev[id]);
        for (const ref of this.refs[id]!) key += `,${ref === 0 ? -1 : prev[target(ref)]}`;
        return key;
      });
      const next = countOf(classes);
      // each round splits classes, never joins them: the same count is the same partition
      if (next === count) return classes;
      count = next;
    }
  }
}

/** JSON for ENUM64 values (bigints). */
const bigints = (_key: string, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value);

/** Classes numbered 0, 1, … in order of first appearance of `key(id)`; -1 for void. */
function number(n: number, key: (id: number) => string): Int32Array {
  const seen = new Map<string, number>();
  const out = new Int32Array(n + 1);
  out[0] = -1;
  for (let id = 1; id <= n; id++) {
    const k = key(id);
    let c = seen.get(k);
    if (c === undefined) {
      c = seen.size;
      seen.set(k, c);
    }
    out[id] = c;
  }
  return out;
}

function countOf(classes: Int32Array): number {
  let max = -1;
  for (const c of classes) if (c > max) max = c;
  return max + 1;
}
