/**
 * Checking that an `extern` function or variable of one object is declared with the type its
 * definition in another object has, as libbpf's linker does, on the merged BTF of
 * {@link linkObjects} (so types that merged are equal at once). Typedefs and qualifiers are
 * looked through, parameter names are not compared; integers and floats must have the same
 * size (`int` fits `unsigned int`), enums the same name and size; structs and unions the same name and, unless behind a pointer, the same
 * members (names, offsets, types); behind a pointer a forward declaration fits the struct or
 * union of its name; arrays the same element type and length, unless one declares no length
 * (`extern int values[];`).
 */
import { type BtfTypeSpec, isQualifier } from '@ts-ebpf/btf';
import { LinkError } from '../errors.js';
import type { LinkInput } from './inputs.js';

/** An extern function or variable and the definition (or first declaration) it must fit. */
export interface ExternUse {
  readonly name: string;
  readonly kind: 'func' | 'var';
  /** The extern's object and its FUNC_PROTO or variable type, as an output type id. */
  readonly input: LinkInput;
  readonly type: number;
  /** The other object and its type, as an output type id. */
  readonly other: LinkInput;
  readonly otherType: number;
  /** Whether the other is the definition, or an extern declaration too (a kfunc, a ksym). */
  readonly against: 'definition' | 'declaration';
}

/**
 * Refuses the first use whose type does not fit.
 * @param types - the merged output types (id 1 first)
 * @throws LinkError naming the symbol, the extern's object, then the other
 */
export function checkExternTypes(uses: readonly ExternUse[], types: readonly BtfTypeSpec[]): void {
  const at = (id: number): BtfTypeSpec => (id === 0 ? { kind: 'void', name: '' } : types[id - 1]!);
  for (const use of uses) {
    const why = mismatch(use, at);
    if (why)
      throw new LinkError(
        `'${use.name}' of ${use.input.name} does not match its ${use.against} in ${use.other.name}: ${why}`,
        [use.input.name, use.other.name],
        use.name,
      );
  }
}

/** Kinds whose names must agree. */
const NAMED = new Set(['struct', 'union', 'enum', 'enum64', 'fwd']);

type TypeAt = (id: number) => BtfTypeSpec;

/** What differs between the use's two types (undefined when they fit). */
function mismatch(use: ExternUse, at: TypeAt): string | undefined {
  const fits = (a: number, b: number, exact: boolean) => new Matcher(at).fits(a, b, exact);
  const vs = (a: number, b: number) => `${cName(at, a)} vs ${cName(at, b)}`;
  const { type: a, otherType: b } = use;
  if (use.kind === 'var') return fits(a, b, true) ? undefined : `type ${vs(a, b)}`;
  const pa = at(a);
  const pb = at(b);
  if (pa.kind !== 'func_proto' || pb.kind !== 'func_proto') return `type ${vs(a, b)}`;
  const count = (n: number) => `${n} parameter${n === 1 ? '' : 's'}`;
  if (pa.params.length !== pb.params.length)
    return `${vs(a, b)} (${count(pa.params.length)} vs ${pb.params.length})`;
  for (let i = 0; i < pa.params.length; i++) {
    const [x, y] = [pa.params[i]!.type, pb.params[i]!.type];
    if (!fits(x, y, true)) return `parameter ${i + 1} is ${vs(x, y)}`;
  }
  if (!fits(pa.returnType, pb.returnType, true)) return `return type ${vs(pa.returnType, pb.returnType)}`;
  return undefined;
}

/** Compares two types of the output as libbpf's linker compares an extern with its definition. */
class Matcher {
  /** Pairs being compared: met again on a cycle, they fit unless something else differs. */
  private readonly open = new Set<string>();

  constructor(private readonly at: TypeAt) {}

  /** The type `id` refers to once typedefs and qualifiers are looked through, and its id. */
  private skip(id: number): [number, BtfTypeSpec] {
    for (let depth = 0; depth < 64; depth++) {
      const t = this.at(id);
      if (t.kind !== 'typedef' && !isQualifier(t.kind)) return [id, t];
      id = (t as { type: number }).type;
    }
    return [id, this.at(id)];
  }

  fits(a: number, b: number, exact: boolean): boolean {
    const [ia, ta] = this.skip(a);
    const [ib, tb] = this.skip(b);
    if (ia === ib) return true; // merged: equal
    const key = `${ia},${ib},${exact}`;
    if (this.open.has(key)) return true;
    this.open.add(key);
    try {
      return this.compare(ta, tb, exact);
    } finally {
      this.open.delete(key);
    }
  }

  private compare(ta: BtfTypeSpec, tb: BtfTypeSpec, exact: boolean): boolean {
    if (!exact && (ta.kind === 'fwd') !== (tb.kind === 'fwd')) {
      const [fwd, other] = ta.kind === 'fwd' ? [ta, tb] : [tb, ta];
      return fwd.kind === 'fwd' && fwd.fwdKind === other.kind && fwd.name === other.name;
    }
    if (ta.kind !== tb.kind) return false;
    // named kinds: the same name (integers and floats: the size alone, as libbpf)
    if (NAMED.has(ta.kind) && ta.name !== tb.name) return false;
    switch (ta.kind) {
      case 'void':
      case 'fwd':
        return true;
      case 'int':
      case 'float':
      case 'enum':
      case 'enum64':
        return ta.size === (tb as { size: number }).size;
      case 'ptr':
        return this.fits(ta.type, (tb as { type: number }).type, false);
      case 'array': {
        const b = tb as typeof ta;
        const sized = ta.nelems !== 0 && b.nelems !== 0;
        return !(sized && ta.nelems !== b.nelems) && this.fits(ta.type, b.type, exact);
      }
      case 'struct':
      case 'union': {
        if (!exact) return true;
        const b = tb as typeof ta;
        return (
          ta.members.length === b.members.length &&
          ta.members.every((m, i) => {
            const o = b.members[i]!;
            return (
              m.name === o.name &&
              m.bitOffset === o.bitOffset &&
              m.bitfieldSize === o.bitfieldSize &&
              this.fits(m.type, o.type, true)
            );
          })
        );
      }
      case 'func_proto': {
        const b = tb as typeof ta;
        return (
          ta.params.length === b.params.length &&
          ta.params.every((p, i) => this.fits(p.type, b.params[i]!.type, exact)) &&
          this.fits(ta.returnType, b.returnType, exact)
        );
      }
      default:
        return false;
    }
  }
}

/** A short C spelling of output type `id` for messages (`unsigned int`, `struct foo *`, `__u32`). */
export function cName(at: TypeAt, id: number, depth = 0): string {
  const t = at(id);
  if (depth > 16) return '…';
  const inner = (ref: number) => cName(at, ref, depth + 1);
  switch (t.kind) {
    case 'void':
      return 'void';
    case 'struct':
    case 'union':
      return `${t.kind} ${t.name || '(anonymous)'}`;
    case 'enum':
    case 'enum64':
      return `enum ${t.name || '(anonymous)'}`;
    case 'fwd':
      return `${t.fwdKind} ${t.name}`;
    case 'ptr':
      return `${inner(t.type)} *`;
    case 'const':
    case 'volatile':
    case 'restrict':
      return `${t.kind} ${inner(t.type)}`;
    case 'type_tag':
      return inner(t.type);
    case 'array':
      return `${inner(t.type)}[${t.nelems || ''}]`;
    case 'func_proto': {
      const params = t.params.map((p) => (p.type === 0 ? '...' : inner(p.type)));
      return `${inner(t.returnType)} (${params.join(', ') || 'void'})`;
    }
    default:
      return t.name;
  }
}
