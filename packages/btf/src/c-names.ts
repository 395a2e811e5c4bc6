import type { Btf } from './btf.js';

/**
 * C names for BTF types as libbpf's btf_dump gives them: the first struct/union/enum
 * with a name keeps it, later distinct types with the same name become `name___2`, …
 * Typedef names and enumerators share the ordinary-identifier namespace.
 */
export class CNames {
  private readonly tagCounts = new Map<string, number>();
  private readonly identCounts = new Map<string, number>();
  private readonly resolved = new Map<number, string>();
  private readonly enumerators = new Map<number, string[]>();

  constructor(private readonly btf: Btf) {}

  private bump(counts: Map<string, number>, name: string): string {
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    return n > 1 ? `${name}___${n}` : name;
  }

  /** The C name of a named struct, union, enum, fwd or typedef (stable per id). */
  of(id: number): string {
    const hit = this.resolved.get(id);
    if (hit !== undefined) return hit;
    const t = this.btf.type(id);
    let name = t.name;
    if (name !== '') {
      if (t.kind === 'typedef') name = this.bump(this.identCounts, name);
      else if (t.kind === 'fwd') {
        // a forward declaration names the same type as a definition with its name
      } else name = this.bump(this.tagCounts, name);
    }
    this.resolved.set(id, name);
    return name;
  }

  /** The C names of an enum's enumerators (stable per id). */
  enumeratorNames(id: number, names: readonly string[]): string[] {
    let out = this.enumerators.get(id);
    if (!out) {
      out = names.map((n) => this.bump(this.identCounts, n));
      this.enumerators.set(id, out);
    }
    return out;
  }
}
