import { alignOf, type Btf, type BtfType, type CompositeType, isPlainChar, resolveType } from '@ts-ebpf/btf';
import { closestName } from '@ts-ebpf/uapi';
import { emitComposite, emitEnum } from './composite.js';
import { GenArgumentError, UnsupportedTypeError } from './errors.js';
import { byteCount } from './format.js';
import { camelCase, type NameTable, pascalCase } from './names.js';

/** What a BTF type becomes in the generated module. */
export interface TypedValue {
  /** The TypeScript type (`number`, `bigint`, `Event`, `number[]` …). */
  readonly ts: string;
  /** An expression for its codec (`u32`, `cstring(16)`, `eventCodec` …). */
  readonly codec: string;
  /** The type as C spells it, for comments. */
  readonly c: string;
  /** Size in bytes. */
  readonly size: number;
  /** Why the value is given as raw bytes, when it is (said in the generated comment). */
  readonly note?: string;
}

/** Helper functions a generated module may need, emitted once each. */
export type HelperName = 'checkStruct' | 'unionWrite' | 'bits';

/** The part of the registry the struct and enum emitters use. */
export interface TypeLookup {
  readonly btf: Btf;
  /** The typed form of BTF type `id`, used at `where` (for errors); `hint` names an anonymous struct. */
  typeOf(id: number, where: string, hint: string): TypedValue;
  /** The C spelling of type `id`. */
  cName(id: number): string;
  /** Marks an export of `@ts-ebpf/maps` as used. */
  use(name: string): void;
  /** Marks a helper function as used. */
  helper(name: HelperName): void;
}

const INTS: Record<string, [codec: string, ts: string]> = {
  u1: ['u8', 'number'],
  i1: ['i8', 'number'],
  u2: ['u16', 'number'],
  i2: ['i16', 'number'],
  u4: ['u32', 'number'],
  i4: ['i32', 'number'],
  u8: ['u64', 'bigint'],
  i8: ['i64', 'bigint'],
};

/** The scalar codec of an int or enum of `size` bytes: codec name and TypeScript type. */
export function intCodec(size: number, signed: boolean): [codec: string, ts: string] | undefined {
  return INTS[`${signed ? 'i' : 'u'}${size}`];
}

/** The comment of a member of no elements. */
const FLEXIBLE_ARRAY =
  'a flexible (or zero-length) array: its elements are past the value, which holds none, so it is always empty';

/** `T[]`, parenthesized where `T` needs it. */
export function arrayOf(ts: string): string {
  return /^[A-Za-z0-9_]+(\[\])*$/.test(ts) ? `${ts}[]` : `(${ts})[]`;
}

/**
 * The kind words `--type` takes (`enum e`), and the BTF kinds each names: an enum with a value
 * past 32 bits is an ENUM64 in BTF.
 */
const KIND_WORDS: Readonly<Record<string, readonly string[]>> = {
  struct: ['struct'],
  union: ['union'],
  enum: ['enum', 'enum64'],
  typedef: ['typedef'],
};

/**
 * Turns BTF types into TypeScript types and codec expressions, declaring an interface and a codec
 * for each struct and union (and a constant object for each named enum) it meets, once per
 * type, dependencies first. Names come from the C names (`struct event` → `Event`,
 * `eventCodec`); an anonymous struct is named after where it is used.
 */
export class TypeRegistry implements TypeLookup {
  readonly btf: Btf;
  /** Declarations in dependency order (each a block of TypeScript). */
  readonly declarations: string[] = [];
  /** Exports of `@ts-ebpf/maps` the declarations use. */
  readonly imports = new Set<string>();
  /** Helper functions the declarations use. */
  readonly helpers = new Set<HelperName>();
  readonly #names: NameTable;
  readonly #declared = new Map<number, TypedValue>();
  readonly #inProgress = new Set<number>();

  /**
   * @param btf - the object's BTF
   * @param names - the module's identifiers (declarations claim theirs here)
   */
  constructor(btf: Btf, names: NameTable) {
    this.btf = btf;
    this.#names = names;
  }

  use(name: string): void {
    this.imports.add(name);
  }

  helper(name: HelperName): void {
    this.helpers.add(name);
  }

  /**
   * Declares a struct, union or enum by name (like bpf2go's `-type`), whether or not a map or
   * variable uses it.
   * @throws UnsupportedTypeError when the object's BTF has no such type
   * @throws GenArgumentError for a kind word other than struct, union, enum or typedef
   */
  declareNamed(name: string): TypedValue {
    const [kind, bare] = name.trim().includes(' ') ? name.trim().split(/\s+/, 2) : [undefined, name.trim()];
    let kinds: readonly string[] = ['struct', 'union', 'enum', 'enum64', 'typedef', 'fwd'];
    if (kind !== undefined) {
      const named = KIND_WORDS[kind];
      if (named === undefined) {
        throw new GenArgumentError(
          `--type ${name}`,
          `unknown kind '${kind}': give 'struct NAME', 'union NAME', 'enum NAME', 'typedef NAME' or a bare NAME`,
        );
      }
      kinds = [...named, 'fwd'];
    }
    for (const k of kinds) {
      const t = this.btf.find(bare!, k as 'struct');
      if (!t) continue;
      const typed = this.typeOf(t.id, name, pascalCase(bare!));
      // Through typedefs, qualifiers and arrays: a struct, union or enum is declared; a scalar
      // or pointer has nothing to declare (its codec is one of @ts-ebpf/maps).
      let target = resolveType(this.btf, t.id);
      while (target.kind === 'array') target = resolveType(this.btf, target.type);
      if (!['struct', 'union', 'enum', 'enum64'].includes(target.kind)) {
        throw new GenArgumentError(
          `--type ${name}`,
          `${this.cName(t.id)} is a ${typed.ts} with the codec ${typed.codec}: it has no declaration of its own (give a struct, union or enum)`,
        );
      }
      return typed;
    }
    const near = closestName(
      bare!,
      [...this.btf.types()].filter((t) => t.name !== '' && kinds.includes(t.kind)).map((t) => t.name),
    );
    throw new UnsupportedTypeError(
      name,
      'a type asked for by name',
      `the object's BTF has no such type${near === undefined ? '' : ` (did you mean '${near}'?)`}: clang keeps only the types that globals, functions and maps ` +
        `use; keep a ring buffer record's type with an unused global pointer (const ${kind === undefined ? `struct ${bare} *unused __attribute__((unused));, a typedef without 'struct'` : `${name.trim()} *unused __attribute__((unused));`})`,
    );
  }

  cName(id: number): string {
    const t = this.btf.type(id);
    switch (t.kind) {
      case 'void':
        return 'void';
      case 'ptr':
        return `${this.cName(t.type)} *`;
      case 'array': {
        // C writes the outermost dimension first: u32 grid[2][3] is an array of 2 u32[3].
        let dims = `[${t.nelems}]`;
        let el = this.btf.type(t.type);
        while (el.kind === 'array') {
          dims += `[${el.nelems}]`;
          el = this.btf.type(el.type);
        }
        return `${this.cName(el.id)}${dims}`;
      }
      case 'const':
      case 'volatile':
      case 'restrict':
        return `${t.kind} ${this.cName(t.type)}`;
      case 'type_tag':
        return this.cName(t.type);
      case 'struct':
      case 'union':
      case 'enum':
        return `${t.kind} ${t.name || '(anonymous)'}`;
      case 'enum64':
        return `enum ${t.name || '(anonymous)'}`;
      case 'fwd':
        return `${t.fwdKind} ${t.name}`;
      case 'func_proto':
        return 'function';
      default:
        return t.name || t.kind;
    }
  }

  typeOf(id: number, where: string, hint: string): TypedValue {
    const declared = this.#declared.get(id);
    if (declared) return declared;
    const t = this.btf.type(id);
    switch (t.kind) {
      case 'typedef': {
        // A typedef of an anonymous struct, union or enum names it.
        const target = resolveType(this.btf, t.type);
        const anonymous =
          (target.kind === 'struct' || target.kind === 'union' || target.kind === 'enum') &&
          target.name === '';
        const inner = this.typeOf(t.type, where, anonymous ? pascalCase(t.name) : hint);
        return { ...inner, c: t.name };
      }
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
        return this.typeOf(t.type, where, hint);
      case 'int':
        return this.#int(t, where);
      case 'float':
        if (t.size === 4 || t.size === 8) {
          const codec = t.size === 4 ? 'f32' : 'f64';
          this.use(codec);
          return { ts: 'number', codec, c: t.name, size: t.size };
        }
        return this.#raw(t.name, t.size, `a ${t.size}-byte float has no JavaScript number`);
      case 'ptr':
        this.use('u64');
        return {
          ts: 'bigint',
          codec: 'u64',
          c: this.cName(id),
          size: 8,
          note: 'a pointer: its address as a bigint',
        };
      case 'enum':
      case 'enum64':
        return this.#enum(t, where);
      case 'array': {
        const typed = this.#array(t.type, t.nelems, where, hint, this.cName(id));
        // A flexible array member (`u32 items[]`) or `[0]`: its elements lie past the value.
        return t.nelems === 0 ? { ...typed, note: FLEXIBLE_ARRAY } : typed;
      }
      case 'struct':
      case 'union':
        return this.#composite(t, where, hint);
      case 'fwd':
        throw new UnsupportedTypeError(
          this.cName(id),
          where,
          'it is only declared (a forward declaration): its layout is not in the BTF',
        );
      default:
        throw new UnsupportedTypeError(this.cName(id), where, `a BTF ${t.kind} has no value layout`);
    }
  }

  #raw(c: string, size: number, note: string): TypedValue {
    this.use('bytes');
    return { ts: 'Uint8Array', codec: `bytes(${size})`, c, size, note: `raw bytes: ${note}` };
  }

  #int(t: Extract<BtfType, { kind: 'int' }>, where: string): TypedValue {
    if (t.bitOffset !== 0 || t.bits !== t.size * 8) {
      // The old bitfield encoding, met outside a struct (inside one, members read it).
      throw new UnsupportedTypeError(
        t.name,
        where,
        `an int of ${t.bits} bits at bit ${t.bitOffset} outside a struct`,
      );
    }
    if (t.bool && t.size === 1) {
      this.use('bool');
      return { ts: 'boolean', codec: 'bool', c: t.name, size: 1 };
    }
    const scalar = intCodec(t.size, t.signed);
    if (!scalar)
      return this.#raw(t.name, t.size, `a ${t.size * 8}-bit integer has no JavaScript number type`);
    this.use(scalar[0]);
    return { ts: scalar[1], codec: scalar[0], c: t.name, size: t.size };
  }

  #enum(t: Extract<BtfType, { kind: 'enum' | 'enum64' }>, where: string): TypedValue {
    const scalar = intCodec(t.size, t.signed);
    if (!scalar) throw new UnsupportedTypeError(this.cName(t.id), where, `an enum of ${byteCount(t.size)}`);
    this.use(scalar[0]);
    const c = this.cName(t.id);
    const value: TypedValue = { ts: scalar[1], codec: scalar[0], c, size: t.size };
    this.#declared.set(t.id, value);
    if (t.name !== '' && t.values.length > 0) {
      const name = pascalCase(t.name);
      this.declarations.push(emitEnum(t, this.#names.claim(name, `${name}Enum`), c));
    }
    return value;
  }

  #array(element: number, n: number, where: string, hint: string, c: string): TypedValue {
    const el = resolveType(this.btf, element);
    // `char[n]` is text and an unsigned byte array bytes; a signed one (`s8[n]`, `signed char[n]`)
    // is numbers, each -128..127, as C reads them.
    if (el.kind === 'int' && el.size === 1 && !el.bool && el.bits === 8 && (!el.signed || isPlainChar(el))) {
      if (isPlainChar(el)) {
        this.use('cstring');
        return {
          ts: 'string',
          codec: `cstring(${n})`,
          c,
          size: n,
          note: 'a string: up to its first NUL, or all its bytes',
        };
      }
      this.use('bytes');
      return { ts: 'Uint8Array', codec: `bytes(${n})`, c, size: n };
    }
    const inner = this.typeOf(element, `${where}[]`, hint);
    this.use('array');
    return {
      ts: arrayOf(inner.ts),
      codec: `array(${inner.codec}, ${n})`,
      c,
      size: inner.size * n,
      ...(inner.note ? { note: `elements are ${inner.note}` } : {}),
    };
  }

  #composite(t: CompositeType, where: string, hint: string): TypedValue {
    if (this.#inProgress.has(t.id))
      throw new UnsupportedTypeError(this.cName(t.id), where, 'it contains itself');
    const wanted = t.name ? pascalCase(t.name) : hint;
    const name = this.#names.claim(wanted, `${wanted}${t.kind === 'union' ? 'Union' : 'Struct'}`);
    const codec = this.#names.claim(`${camelCase(name)}Codec`);
    const c = this.cName(t.id);
    this.#inProgress.add(t.id);
    try {
      this.declarations.push(
        emitComposite(this, t, { name, codec, c, align: alignOf(this.btf, t.id), where }),
      );
    } finally {
      this.#inProgress.delete(t.id);
    }
    this.use('Codec');
    const value: TypedValue = { ts: name, codec, c, size: t.size };
    this.#declared.set(t.id, value);
    return value;
  }
}
