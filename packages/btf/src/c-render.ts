import type { Btf } from './btf.js';
import { enumSizeAttribute } from './c-enum-size.js';
import type { CNames } from './c-names.js';
import { BtfError } from './errors.js';
import type { BtfType, CompositeType, Enum64Type, EnumType } from './kinds.js';
import { alignOf, isPacked, isQualifier, sizeOf } from './layout.js';

const PADS: readonly [string, number][] = [
  ['long', 64],
  ['int', 32],
  ['short', 16],
  ['char', 8],
];
const MAX_DEPTH = 256;
/** Rendered type nodes allowed per type: corrupt BTF can make inline expansion exponential. */
const WORK_PER_TYPE = 100;
/** Largest gap between members that is printed as padding (1 MiB). */
const MAX_PADDING_BITS = 8 << 20;

const roundUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Renders C declarations of BTF types (no ordering: see `dumpC`). */
export class CRenderer {
  private work = 0;
  private readonly maxWork: number;

  constructor(
    private readonly btf: Btf,
    private readonly names: CNames,
  ) {
    this.maxWork = Math.max(1_000_000, btf.typeCount * WORK_PER_TYPE);
  }

  /** `struct foo`, a typedef name, or an inline definition of an anonymous type. */
  private base(t: BtfType, lvl: number, depth: number): string {
    switch (t.kind) {
      case 'void':
        return 'void';
      case 'int':
      case 'float':
        return t.name;
      case 'typedef':
        return this.names.of(t.id);
      case 'fwd':
        return `${t.fwdKind} ${this.names.of(t.id)}`;
      case 'struct':
      case 'union':
        return t.name ? `${t.kind} ${this.names.of(t.id)}` : this.composite(t, lvl, depth + 1);
      case 'enum':
      case 'enum64':
        return t.name ? `enum ${this.names.of(t.id)}` : this.enumBody(t, lvl);
      default:
        throw new BtfError(`type ${t.id} (${t.kind}) cannot be the base of a C declaration`);
    }
  }

  /** A declaration of `inner` (a name, possibly empty) with type `id`, as C spells it. */
  decl(id: number, inner: string, lvl: number, quals: string[] = [], tags: string[] = [], depth = 0): string {
    if (depth > MAX_DEPTH) throw new BtfError(`type ${id} is too deeply nested or cyclic`);
    if (++this.work > this.maxWork)
      throw new BtfError('C declarations expand beyond any real header: corrupt BTF?');
    const t = this.btf.type(id);
    switch (t.kind) {
      case 'const':
      case 'volatile':
      case 'restrict':
        return this.decl(
          t.type,
          inner,
          lvl,
          quals.includes(t.kind) ? quals : [...quals, t.kind],
          tags,
          depth + 1,
        );
      case 'type_tag':
        // C lists a pointer's tags from the innermost: `int __a __b *` is ptr → b → a → int,
        // so the tag met later on the way down is printed first
        return this.decl(
          t.type,
          inner,
          lvl,
          quals,
          [`__attribute__((btf_type_tag("${t.name}")))`, ...tags],
          depth + 1,
        );
      case 'ptr': {
        const q = [...quals, ...tags].join(' ');
        // spaced as libbpf does: `* const p`, `void * (*f)(void)`, `*p`
        let p = q ? `* ${q}${inner ? ` ${inner}` : ''}` : inner.startsWith('(') ? `* ${inner}` : `*${inner}`;
        const target = this.skipQualifiers(t.type);
        if (target.kind === 'array' || target.kind === 'func_proto') p = `(${p})`;
        return this.decl(t.type, p, lvl, [], [], depth + 1);
      }
      case 'array':
        return this.decl(t.type, `${inner}[${t.nelems}]`, lvl, quals, tags, depth + 1);
      case 'func_proto':
        return this.decl(
          t.returnType,
          `${inner}(${this.params(t.params, lvl, depth)})`,
          lvl,
          [],
          [],
          depth + 1,
        );
      default: {
        const prefix = quals.length > 0 ? `${quals.join(' ')} ` : '';
        const suffix = tags.length > 0 ? ` ${tags.join(' ')}` : '';
        const base = `${prefix}${this.base(t, lvl, depth)}${suffix}`;
        return inner ? `${base} ${inner}` : base;
      }
    }
  }

  private skipQualifiers(id: number): BtfType {
    let t = this.btf.type(id);
    for (let i = 0; isQualifier(t.kind) && i < MAX_DEPTH; i++)
      t = this.btf.type((t as { type: number }).type);
    return t;
  }

  private params(params: readonly { name: string; type: number }[], lvl: number, depth: number): string {
    if (params.length === 0) return 'void';
    return params
      .map((p, i) =>
        p.type === 0 && i === params.length - 1 ? '...' : this.decl(p.type, p.name, lvl, [], [], depth + 1),
      )
      .join(', ');
  }

  /** The body of an enum: `enum name {\n\tA = 1,\n}`. */
  enumBody(t: EnumType | Enum64Type, lvl: number): string {
    const head = t.name ? `enum ${this.names.of(t.id)}` : 'enum';
    if (t.values.length === 0) return head;
    const names = this.names.enumeratorNames(
      t.id,
      t.values.map((v) => v.name),
    );
    const ind = '\t'.repeat(lvl + 1);
    const lines = t.values.map((v, i) => `${ind}${names[i]} = ${enumValue(t, v.value)},`);
    return `${head} {\n${lines.join('\n')}\n${'\t'.repeat(lvl)}}${enumSizeAttribute(t)}`;
  }

  /** The body of a struct or union with the padding that reproduces its layout. */
  composite(t: CompositeType, lvl: number, depth = 0): string {
    if (depth > MAX_DEPTH) throw new BtfError(`type ${t.id} nests anonymous types in a cycle`);
    const head = t.name ? `${t.kind} ${this.names.of(t.id)} {` : `${t.kind} {`;
    const packed = isPacked(this.btf, t);
    const ind = '\t'.repeat(lvl + 1);
    const lines: string[] = [];
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      const width = m.bitfieldSize;
      if (t.kind === 'struct') {
        const align = packed ? 1 : alignOf(this.btf, m.type);
        padding(lines, ind, off, m.bitOffset, align, prevBitfield && width !== 0);
      }
      const d = this.decl(m.type, m.name, lvl + 1, [], [], depth);
      lines.push(`${ind}${d}${width ? `: ${width}` : ''};`);
      if (width) off = m.bitOffset + width;
      else off = m.bitOffset + Math.max(0, sizeOf(this.btf, m.type)) * 8;
      prevBitfield = width !== 0;
    }
    if (t.kind === 'struct') padding(lines, ind, off, t.size * 8, alignOf(this.btf, t.id), false);
    const attr = packed ? ' __attribute__((packed))' : '';
    if (lines.length === 0 && t.size === 0) return `${head}}${attr}`;
    const body = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    return `${head}\n${body}${'\t'.repeat(lvl)}}${attr}`;
  }
}

function enumValue(t: EnumType | Enum64Type, v: number | bigint): string {
  if (t.kind === 'enum') return String(v);
  return t.signed ? `${v}LL` : `${v}ULL`;
}

/** Explicit padding from bit `cur` to bit `next` (libbpf's btf_dump_emit_bit_padding). */
function padding(
  lines: string[],
  ind: string,
  cur: number,
  next: number,
  nextAlign: number,
  inBitfield: boolean,
): void {
  if (cur >= next) return;
  if (next - cur > MAX_PADDING_BITS)
    throw new BtfError(`a gap of ${next - cur} bits between members is implausible`);
  let padType = 'char';
  let padBits = 8;
  let newOff = 0;
  for (const [name, bits] of PADS) {
    padType = name;
    padBits = bits;
    newOff = roundUp(cur, bits);
    if (newOff <= next) break;
  }
  if (newOff > cur && newOff <= next) {
    if (
      inBitfield ||
      (newOff === next && roundUp(cur, nextAlign * 8) !== newOff) ||
      (newOff !== next && next - newOff <= newOff - cur)
    ) {
      lines.push(`${ind}${padType}: ${inBitfield ? newOff - cur : 0};`);
    }
    cur = newOff;
  }
  while (cur !== next) {
    const bits = Math.min(next - cur, padBits);
    if (bits === padBits) {
      lines.push(`${ind}${padType}: ${padBits};`);
      cur += bits;
      continue;
    }
    for (let i = PADS.length - 1; i >= 0; i--) {
      const [name, size] = PADS[i]!;
      padType = name;
      padBits = size;
      if (size < bits) continue;
      lines.push(`${ind}${name}: ${bits};`);
      cur += bits;
      break;
    }
  }
}
