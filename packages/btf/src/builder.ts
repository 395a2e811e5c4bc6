import type { ByteOrder } from '@ts-ebpf/uapi';
import { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { kernelRefusal, kernelRefusalAmong } from './kernel-rules.js';
import type {
  BtfLinkage,
  BtfMember,
  BtfParam,
  BtfType,
  BtfTypeSpec,
  BtfVarSecInfo,
  CompositeType,
} from './kinds.js';
import { VOID } from './kinds.js';
import { alignOf, sizeOf, type TypeSource } from './layout.js';
import { subject } from './references.js';
import { writeBtf } from './writer.js';

/** A struct/union member for the builder; without `bitOffset` it is placed as a C compiler would. */
export interface MemberSpec {
  readonly name: string;
  readonly type: number;
  /** Bit offset; computed from C layout rules when omitted. */
  readonly bitOffset?: number;
  /** Width of a bitfield (0 or omitted for a plain member). */
  readonly bitfieldSize?: number;
}

/** Options for {@link BtfBuilder.toBytes}. */
export interface BuildOptions {
  /**
   * Byte order of the output: default the base's (split BTF must share it), else
   * `HOST_BYTE_ORDER`, what the running kernel loads.
   */
  readonly byteOrder?: ByteOrder;
}

/**
 * Builds new BTF: each method adds one type and returns its id. With a `base`
 * (e.g. vmlinux) the result is split BTF whose ids and strings continue the base's,
 * and base types may be referenced by id.
 */
export class BtfBuilder implements TypeSource {
  private readonly specs: BtfTypeSpec[] = [];
  private arrayIndexType = 0;

  /** @param base - base BTF for split BTF */
  constructor(readonly base?: Btf) {}

  /** Id the next added type will get. */
  get nextId(): number {
    return (this.base?.typeCount ?? 1) + this.specs.length;
  }

  /** The types added so far, in id order. */
  get types(): readonly BtfTypeSpec[] {
    return this.specs;
  }

  /** A type by id: a base type, or one added here. */
  type(id: number): BtfType {
    if (id === 0) return VOID;
    const first = this.base?.typeCount ?? 1;
    if (id < first && this.base) return this.base.type(id);
    const spec = this.specs[id - first];
    if (!spec) throw new BtfError(`type id ${id} does not exist in the builder`);
    return { ...spec, id } as BtfType;
  }

  /**
   * Adds any type description and returns its id.
   * @throws BtfError naming the type for what the kernel would refuse in it alone: a name that
   *   is no identifier (or one where the kind has none), a float or enum size, extern linkage,
   *   members out of order or past the end, data section variables that overlap
   */
  add(spec: BtfTypeSpec): number {
    if (spec.kind === 'void') throw new BtfError('void is id 0 and cannot be added');
    this.refuse(spec, this.nextId);
    this.specs.push(spec);
    return this.nextId - 1;
  }

  /** Throws what the kernel would refuse in `spec` alone, naming it as type `id`. */
  private refuse(spec: BtfTypeSpec, id: number): void {
    const why = kernelRefusal(spec);
    if (why) throw new BtfError(`${subject(spec, id)}: ${why}`);
  }

  /** Adds an integer of `size` bytes. */
  int(
    name: string,
    size: number,
    opts: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number } = {},
  ): number {
    if (![1, 2, 4, 8, 16].includes(size)) throw new BtfError(`int '${name}' has bad size ${size}`);
    // The encoding is at most one of signed, char and bool: the kernel refuses combinations.
    if ([opts.signed, opts.char, opts.bool].filter(Boolean).length > 1) {
      throw new BtfError(
        `int '${name}': choose one of signed, char and bool (the kernel accepts a single encoding)`,
      );
    }
    return this.add({
      kind: 'int',
      name,
      size,
      signed: opts.signed ?? false,
      char: opts.char ?? false,
      bool: opts.bool ?? false,
      bitOffset: 0,
      bits: opts.bits ?? size * 8,
    });
  }

  /** Adds a floating point type. */
  float(name: string, size: number): number {
    return this.add({ kind: 'float', name, size });
  }

  /** Adds a pointer to `type`. */
  ptr(type: number): number {
    return this.add({ kind: 'ptr', name: '', type });
  }

  /** Adds `const type`. */
  const(type: number): number {
    return this.add({ kind: 'const', name: '', type });
  }

  /** Adds `volatile type`. */
  volatile(type: number): number {
    return this.add({ kind: 'volatile', name: '', type });
  }

  /** Adds `restrict type`. */
  restrict(type: number): number {
    return this.add({ kind: 'restrict', name: '', type });
  }

  /** Adds a type tag over `type`. */
  typeTag(name: string, type: number): number {
    return this.add({ kind: 'type_tag', name, type });
  }

  /** Adds `typedef type name`. */
  typedef(name: string, type: number): number {
    return this.add({ kind: 'typedef', name, type });
  }

  /** Adds an array of `nelems` elements; the index type defaults to a 4-byte `__ARRAY_SIZE_TYPE__`. */
  array(type: number, nelems: number, indexType?: number): number {
    if (indexType === undefined) {
      if (this.arrayIndexType === 0) this.arrayIndexType = this.int('__ARRAY_SIZE_TYPE__', 4);
      indexType = this.arrayIndexType;
    }
    return this.add({ kind: 'array', name: '', type, indexType, nelems });
  }

  /** Adds a struct; members without offsets are laid out by C rules, and `size` defaults to the C size. */
  struct(name: string, members: readonly MemberSpec[], size?: number): number {
    const id = this.add({ kind: 'struct', name, size: 0, members: [] });
    this.setMembers(id, members, size);
    return id;
  }

  /** Adds a union (members at offset 0 unless given). */
  union(name: string, members: readonly MemberSpec[], size?: number): number {
    const id = this.add({ kind: 'union', name, size: 0, members: [] });
    this.setMembers(id, members, size);
    return id;
  }

  /**
   * Replaces the members (and size) of a struct or union added earlier: add the struct
   * empty, then pointers to it, then its members, for self-referential types.
   */
  setMembers(id: number, members: readonly MemberSpec[], size?: number): void {
    const first = this.base?.typeCount ?? 1;
    if (!Number.isInteger(id) || id < first || id >= this.nextId) {
      throw new BtfError(
        `setMembers: type ${id} was not added by this builder (its ids run ${first}-${this.nextId - 1})`,
      );
    }
    const t = this.type(id);
    if (t.kind !== 'struct' && t.kind !== 'union') throw new BtfError(`type ${id} is not a struct or union`);
    let laid: { size: number; members: BtfMember[] };
    try {
      laid = this.layout(t.kind, members);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
      throw new BtfError(`${subject(t, id)}: ${e.message}`, undefined, { cause: e });
    }
    const spec: Omit<CompositeType, 'id'> = {
      kind: t.kind,
      name: t.name,
      size: size ?? laid.size,
      members: laid.members,
    };
    this.refuse(spec, id);
    this.specs[id - first] = spec;
  }

  private layout(
    kind: 'struct' | 'union',
    members: readonly MemberSpec[],
  ): { size: number; members: BtfMember[] } {
    let bit = 0;
    let end = 0;
    let maxAlign = 1;
    const out: BtfMember[] = [];
    for (const [i, m] of members.entries()) {
      const width = m.bitfieldSize ?? 0;
      let bytes: number;
      let align: number;
      try {
        bytes = sizeOf(this, m.type);
        align = alignOf(this, m.type);
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
        throw new BtfError(`member ${i}${m.name ? ` '${m.name}'` : ''}: ${e.message}`, undefined, {
          cause: e,
        });
      }
      maxAlign = Math.max(maxAlign, align);
      let off = m.bitOffset;
      if (off === undefined) {
        const start = kind === 'union' ? 0 : bit;
        if (width === 0) off = Math.ceil(start / (align * 8)) * align * 8;
        else {
          const unit = bytes * 8;
          off =
            Math.floor(start / unit) === Math.floor((start + width - 1) / unit)
              ? start
              : Math.ceil(start / unit) * unit;
        }
      }
      out.push({ name: m.name, type: m.type, bitOffset: off, bitfieldSize: width });
      bit = off + (width || bytes * 8);
      end = Math.max(end, bit);
    }
    const size = Math.ceil(Math.ceil(end / 8) / maxAlign) * maxAlign;
    return { size, members: out };
  }

  /** Adds an enum of `size` bytes (default 4). */
  enum(name: string, values: Record<string, number>, opts: { size?: number; signed?: boolean } = {}): number {
    const entries = Object.entries(values).map(([n, value]) => ({ name: n, value }));
    const signed = opts.signed ?? entries.some((e) => e.value < 0);
    return this.add({ kind: 'enum', name, size: opts.size ?? 4, signed, values: entries });
  }

  /** Adds a 64-bit enum. */
  enum64(name: string, values: Record<string, bigint>, opts: { signed?: boolean } = {}): number {
    const entries = Object.entries(values).map(([n, value]) => ({ name: n, value }));
    return this.add({
      kind: 'enum64',
      name,
      size: 8,
      signed: opts.signed ?? entries.some((e) => e.value < 0n),
      values: entries,
    });
  }

  /** Adds a forward declaration. */
  fwd(name: string, fwdKind: 'struct' | 'union' = 'struct'): number {
    return this.add({ kind: 'fwd', name, fwdKind });
  }

  /** Adds a function prototype; a trailing `{ name: '', type: 0 }` parameter means `...`. */
  funcProto(returnType: number, params: readonly BtfParam[]): number {
    return this.add({ kind: 'func_proto', name: '', returnType, params: [...params] });
  }

  /** Adds a function over a prototype. */
  func(name: string, proto: number, linkage: BtfLinkage = 'global'): number {
    return this.add({ kind: 'func', name, type: proto, linkage });
  }

  /** Adds a variable. */
  var(name: string, type: number, linkage: BtfLinkage = 'global'): number {
    return this.add({ kind: 'var', name, type, linkage });
  }

  /** Adds a data section; `size` defaults to the end of the last variable. */
  datasec(name: string, vars: readonly BtfVarSecInfo[], size?: number): number {
    const end = vars.reduce((e, x) => Math.max(e, x.offset + x.size), 0);
    return this.add({ kind: 'datasec', name, size: size ?? end, vars: [...vars] });
  }

  /** Adds a declaration tag (`componentIdx` -1 tags the type itself). */
  declTag(name: string, type: number, componentIdx = -1): number {
    return this.add({ kind: 'decl_tag', name, type, componentIdx });
  }

  /**
   * Serializes the added types (with a deduplicated string table).
   * @throws BtfError naming the type and the id when a type refers to an id that does not
   * exist, for values that do not fit their fields, for a byte order other than the base's, and
   * for what the kernel would refuse across types: a member, element or variable of a type
   * without a size, a func over no func_proto or with unnamed parameters, a data section entry
   * that is no var, a decl_tag on a type or component that cannot be tagged
   */
  toBytes(options: BuildOptions = {}): Uint8Array {
    const base = this.base;
    if (base && options.byteOrder !== undefined && options.byteOrder !== base.byteOrder) {
      throw new BtfError(
        `split BTF must be ${base.byteOrder}-endian like its base, not ${options.byteOrder}-endian`,
      );
    }
    const first = base?.typeCount ?? 1;
    const bytes = writeBtf(this.specs, {
      byteOrder: options.byteOrder ?? base?.byteOrder,
      baseStringsLength: base?.stringsLength ?? 0,
      firstId: first,
    });
    // every reference is known to exist now (writeBtf checked)
    this.specs.forEach((spec, i) => {
      let why: string | undefined;
      try {
        why = kernelRefusalAmong(this.type(first + i), this);
      } catch (e) {
        // a cycle of typedefs or qualifiers met on the way
        if (!(e instanceof BtfError)) throw e;
        throw new BtfError(`${subject(spec, first + i)}: ${e.message}`, undefined, { cause: e });
      }
      if (why) throw new BtfError(`${subject(spec, first + i)}: ${why}`);
    });
    return bytes;
  }

  /** Serializes and parses the result. */
  build(options: BuildOptions = {}): Btf {
    return Btf.parse(this.toBytes(options), this.base ? { base: this.base } : {});
  }
}
