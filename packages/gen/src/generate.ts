import { Btf } from '@ts-ebpf/btf';
import { loadCollectionSpec, stripDebugSections } from '@ts-ebpf/elf';
import { BASE64_DECODER, base64 } from './base64.js';
import { GenArgumentError, GenError } from './errors.js';
import { byteCount, ifStatement, list } from './format.js';
import { helperText } from './helpers.js';
import { sortSpecifiers } from './import-order.js';
import { camelCase, isIdentifier, NameTable, pascalCase, propertyKey, quote } from './names.js';
import {
  type KconfigBinding,
  type MapBinding,
  type ObjectModel,
  objectModel,
  type VariableBinding,
} from './object-model.js';
import { arrayOf, TypeRegistry } from './types.js';

/** How the generated module finds the object's bytes. */
export type ObjectSource =
  /**
   * The bytes, base64, inside the module (the default): nothing to ship beside it. Without the
   * object's DWARF sections (`.debug_*` and their relocations, removed by `stripDebugSections`
   * of `@ts-ebpf/elf`), which the loader does not read and which are most of the bytes of an
   * object built with `-g` against `vmlinux.h`; `.BTF` and `.BTF.ext` (types, func_info,
   * line_info, CO-RE) stay. `keepDebug: true` embeds the object as it is.
   */
  | { readonly embed: true; readonly keepDebug?: boolean }
  /**
   * A path to the object file, relative to the generated module, as a relative URL
   * (`./prog.bpf.o`; `%`, `#`, `?` and spaces escaped as in a file URL, as `ts-ebpf gen`
   * escapes them), read with `node:fs` when the module's object function is called.
   */
  | { readonly reference: string };

/** Options of {@link generateBindings}. */
export interface GenerateOptions {
  /**
   * The name of the generated class (`Counter` gives `class Counter`, `CounterMaps`,
   * `counterObject()` …): a TypeScript identifier; other text is turned into one in PascalCase.
   * A keyword, a global or a name the module imports (`class`, `Map`, `BpfMap`, `u8`) is refused,
   * as is text without a letter or digit.
   */
  readonly name: string;
  /** Embedded (default) or referenced object. */
  readonly object?: ObjectSource;
  /**
   * More types to declare with their codecs, though no map or variable uses them (a ring buffer's
   * record struct): `event`, `struct event`, `union u`, `enum e` or a typedef name.
   */
  readonly types?: readonly string[];
  /** The object's file name, for the header comment. */
  readonly source?: string;
}

/** Identifiers the module imports or defines itself: no C type may take them. */
const FIXED_NAMES = [
  'AttachTargets',
  'BloomFilter',
  'BpfMap',
  'ByteOrder',
  'Codec',
  'CodecError',
  'Collection',
  'CollectionOptions',
  'HOST_BYTE_ORDER',
  'Link',
  'NameNotFoundError',
  'OBJECT_BASE64',
  'OBJECT_BYTE_ORDER',
  'Program',
  'QueueMap',
  'RawMap',
  'ReadonlyVariable',
  'StructOps',
  'Variable',
  'bitShift',
  'bitValue',
  'checkStruct',
  'decode',
  'decodeBase64',
  'encode',
  'encodeConstants',
  'globalVariable',
  'loadCollection',
  'loadSpan',
  'unionWrite',
  'readBits',
  'readFileSync',
  'sameValue',
  'structOpsMap',
  'writeBits',
  'array',
  'bool',
  'bytes',
  'cstring',
  'f32',
  'f64',
  'i8',
  'i16',
  'i32',
  'i64',
  'perCpu',
  'u8',
  'u16',
  'u32',
  'u64',
];

const BASE64_LINE = 100;

/**
 * Writes a TypeScript module with typed bindings for a clang-compiled BPF object (the analog of
 * bpf2go's output or a libbpf skeleton): the object (embedded as base64, without its DWARF
 * sections unless `keepDebug`, or referenced by path),
 * an interface and a codec for each struct and union its maps and variables use (and for each
 * type named in `options.types`), a constant object per named enum, and a class that loads the
 * object and gives typed access to each map (`BpfMap<K, V>` with BTF-derived codecs), each
 * program, and each global variable (`.rodata` constants set through the load options, `.bss` /
 * `.data` read and written after load), and the `.kconfig` externs with the values the load gave
 * them (`kconfig`, read-only, as `Collection.kconfig` has them). 64-bit integers are bigints; `char[n]` is a string;
 * other byte arrays are `Uint8Array`; what has no exact JavaScript form is raw bytes, and the
 * generated comment says so. The output depends only on the object and the options.
 *
 * The generated module imports only public `@ts-ebpf` packages (`elf`, `maps`, `programs`,
 * `uapi`). Its typed maps are the collection's own typed views (`collection.map(name, codecs)`),
 * closed with it.
 * @param objectBytes - the object's bytes (any Uint8Array; only read)
 * @throws ElfError (from `@ts-ebpf/elf`) for an object that is not a BPF ELF object
 * @throws GenError for an object without BTF (compile with `clang -g`)
 * @throws UnsupportedTypeError for a type that has no layout (a forward-declared struct used as a value)
 * @throws GenArgumentError for a `types` entry whose kind word is not struct, union, enum or typedef,
 * or a `name` that is taken (a TypeScript keyword, a global or a name the module imports: `Map`, `u8`)
 */
export function generateBindings(objectBytes: Uint8Array, options: GenerateOptions): string {
  const spec = loadCollectionSpec(objectBytes);
  if (!spec.btf)
    throw new GenError(`${options.source ?? 'the object'} has no .BTF section: compile it with clang -g`);
  const btf = Btf.parse(spec.btf);
  const names = new NameTable();
  names.reserve(...FIXED_NAMES);
  if (!/[A-Za-z0-9_$]/.test(options.name))
    throw new GenArgumentError(`--name ${options.name}`, 'has no letter or digit to make the class name of');
  const cls = isIdentifier(options.name) ? options.name : pascalCase(options.name);
  if (!names.isFree(cls))
    throw new GenArgumentError(
      `--name ${options.name}`,
      `the class name ${cls} is a TypeScript keyword, a global or a name the generated module imports or defines: give another`,
    );
  const api = {
    cls: names.claim(cls),
    maps: names.claim(`${cls}Maps`),
    programs: names.claim(`${cls}Programs`),
    structOps: names.claim(`${cls}StructOps`),
    variables: names.claim(`${cls}Variables`),
    constants: names.claim(`${cls}Constants`),
    loadOptions: names.claim(`${cls}LoadOptions`),
    // Claimed only for an object with `.kconfig` externs: another's C types keep their names.
    kconfig: btf.find('.kconfig', 'datasec') ? names.claim(`${cls}Kconfig`) : '',
    object: names.claim(`${camelCase(cls)}Object`),
  };
  const registry = new TypeRegistry(btf, names);
  const model = objectModel(spec, btf, registry);
  for (const t of options.types ?? []) registry.declareNamed(t);

  const source = options.object ?? { embed: true };
  const helpers = helperText(registry.helpers);
  const declarations = registry.declarations;
  // The module's own code (helpers, codecs) says which of the common imports it needs; the
  // rest follows from what the object has. Nothing is imported or defined that is not used.
  const codecText = [...helpers, ...declarations].join('\n');
  const uses = {
    bpfMaps: model.maps.some((m) => m.typed !== undefined && m.typed.wrapper === undefined),
    rawMaps: model.maps.some((m) => m.typed === undefined),
    structOps: model.structOps.length > 0,
    variables: model.variables.length > 0,
    constants: model.variables.some((v) => v.readOnly),
    codecError: /\bCodecError\b/.test(codecText),
    byteOrder: /\bByteOrder\b/.test(codecText),
    codec: registry.imports.has('Codec'),
  };
  const maps = [...registry.imports].filter((n) => n !== 'Codec').sort();
  const out: string[] = [];
  out.push(
    `// Generated by @ts-ebpf/gen (ts-ebpf gen) from ${options.source ?? 'a BPF object'}: do not edit, generate again.`,
  );
  out.push(imports(maps, 'embed' in source, uses));
  out.push(...helpers);
  out.push(...declarations);
  out.push(objectFunction(api.object, objectBytes, source, options.source));
  if (uses.constants) {
    out.push(`/** The object's byte order (constants are encoded in it before load). */
const OBJECT_BYTE_ORDER: ByteOrder = '${spec.byteOrder}';`);
  }
  out.push(variableTypes(uses.variables));
  if (uses.structOps) out.push(STRUCT_OPS_MAP);
  out.push(apiInterfaces(api, model));
  out.push(encodeConstants(api, model.variables));
  out.push(classText(api, model));
  return `${out.join('\n\n')}\n`;
}

/** What a generated module uses of the common imports and definitions. */
interface Uses {
  /** A map typed by codecs as a plain `BpfMap` (not wrapped as a QueueMap or BloomFilter). */
  readonly bpfMaps: boolean;
  /** A map left raw (RawMap). */
  readonly rawMaps: boolean;
  /** A struct_ops map (StructOps). */
  readonly structOps: boolean;
  /** A global variable (globalVariable: decode, encode, Codec, HOST_BYTE_ORDER). */
  readonly variables: boolean;
  /** A `.rodata` constant (OBJECT_BYTE_ORDER, encode). */
  readonly constants: boolean;
  /** The helpers or codecs throw CodecError. */
  readonly codecError: boolean;
  /** The helpers or codecs name ByteOrder. */
  readonly byteOrder: boolean;
  /** A codec's type names Codec. */
  readonly codec: boolean;
}

function imports(maps: string[], embed: boolean, uses: Uses): string {
  const elf = [
    'type AttachTargets',
    'type Collection',
    'type CollectionOptions',
    'loadCollection',
    'NameNotFoundError',
    ...(uses.rawMaps ? ['type RawMap'] : []),
  ];
  const fromMaps = [
    ...(uses.bpfMaps ? ['type BpfMap'] : []),
    ...(uses.codec || uses.variables ? ['type Codec'] : []),
    ...(uses.codecError ? ['CodecError'] : []),
    ...(uses.variables ? ['decode'] : []),
    ...(uses.variables || uses.constants ? ['encode'] : []),
    ...maps,
  ];
  const fromUapi = [
    ...(uses.byteOrder || uses.constants ? ['type ByteOrder'] : []),
    ...(uses.variables ? ['HOST_BYTE_ORDER'] : []),
  ];
  const lines = [
    ...(embed ? [] : [`import { readFileSync } from 'node:fs';`]),
    list('', 'import { ', sortSpecifiers(elf), " } from '@ts-ebpf/elf';"),
    list('', 'import { ', sortSpecifiers(fromMaps), " } from '@ts-ebpf/maps';"),
    `import type { Link, Program${uses.structOps ? ', StructOps' : ''} } from '@ts-ebpf/programs';`,
    ...(fromUapi.length === 0
      ? []
      : [
          fromUapi.every((n) => n.startsWith('type '))
            ? `import type { ${fromUapi.map((n) => n.slice(5)).join(', ')} } from '@ts-ebpf/uapi';`
            : `import { ${sortSpecifiers(fromUapi).join(', ')} } from '@ts-ebpf/uapi';`,
        ]),
  ];
  return lines.join('\n');
}

function objectFunction(name: string, bytes: Uint8Array, source: ObjectSource, file?: string): string {
  if ('reference' in source) {
    return `/** The object's bytes, read from ${quote(source.reference)} beside this module. */
export function ${name}(): Uint8Array {
  return readFileSync(new URL(${quote(source.reference)}, import.meta.url));
}`;
  }
  const embedded = source.keepDebug ? bytes : stripDebugSections(bytes);
  const text = base64(embedded);
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += BASE64_LINE) lines.push(`  '${text.slice(i, i + BASE64_LINE)}',`);
  const what = source.keepDebug ? '' : ' without its DWARF sections (.debug_*)';
  return `${BASE64_DECODER}

/** ${file ?? 'The object'}${what} (${byteCount(embedded.byteLength)}), base64. */
const OBJECT_BASE64 = [
${lines.join('\n')}
].join('');

/** A fresh copy of the object's bytes (${embedded.byteLength}). */
export function ${name}(): Uint8Array {
  return decodeBase64(OBJECT_BASE64);
}`;
}

function variableTypes(withVariables: boolean): string {
  return `/** A \`.bss\` or \`.data\` variable of the loaded object: each call reads or writes its memory. */
export interface Variable<T> {
  /** Its current value. */
  get(): T;
  /** Writes it (the programs see the new value at once). */
  set(value: T): void;
}

/** A \`.rodata\` constant of the loaded object: set it with the load options' \`constants\`. */
export interface ReadonlyVariable<T> {
  /** Its value. */
  get(): T;
}${withVariables ? `\n\n${GLOBAL_VARIABLE}` : ''}`;
}

/** The view of a global variable (only in modules of objects with variables). */
const GLOBAL_VARIABLE = `/** A typed view of a global variable (its section is mapped into memory on first use). */
function globalVariable<T>(c: Collection, name: string, codec: Codec<T>): Variable<T> {
  let memory: ReturnType<Collection['variable']> | undefined;
  const at = () => {
    memory ??= c.variable(name);
    return memory;
  };
  return {
    get: () => decode(codec, at().get(), HOST_BYTE_ORDER),
    set: (value: T) => at().set(encode(codec, value, HOST_BYTE_ORDER, name)),
  };
}`;

function mapType(m: MapBinding): string {
  if (!m.typed) return 'RawMap';
  if (m.typed.wrapper) return `${m.typed.wrapper}<${m.typed.value.ts}>`;
  const value = m.typed.perCpu ? arrayOf(m.typed.value.ts) : m.typed.value.ts;
  return `BpfMap<${m.typed.key?.ts ?? 'never'}, ${value}>`;
}

function variableDoc(v: VariableBinding): string {
  const note = v.typed.note ? `; ${v.typed.note}` : '';
  return `\`${v.typed.c} ${v.name}\` in ${v.section}, byte ${v.offset}${note}`;
}

type Api = Record<
  | 'cls'
  | 'maps'
  | 'programs'
  | 'structOps'
  | 'variables'
  | 'constants'
  | 'loadOptions'
  | 'kconfig'
  | 'object',
  string
>;

function apiInterfaces(api: Api, model: ObjectModel): string {
  const maps = model.maps.map((m) => {
    const what = !m.typed
      ? 'raw'
      : m.typed.key
        ? `key \`${m.typed.key.c}\`, value \`${m.typed.value.c}\`${m.typed.perCpu ? ' per CPU' : ''}`
        : `no keys, value \`${m.typed.value.c}\``;
    const note = m.note ? `; ${m.note}` : '';
    return `  /** Map \`${m.name}\` (${m.typeName}): ${what}${note}. */\n  readonly ${propertyKey(m.name)}: ${mapType(m)};`;
  });
  const programs = model.programs.map(
    (p) =>
      `  /** Program \`${p.name}\` (section \`${p.section}\`). */\n  readonly ${propertyKey(p.name)}: Program;`,
  );
  const structOps = model.structOps.map(
    (m) =>
      `  /** struct_ops map \`${m.name}\`: \`${m.c}\` (section \`${m.section}\`). */\n  readonly ${propertyKey(m.name)}: StructOps;`,
  );
  const variables = model.variables.map(
    (v) =>
      `  /** ${variableDoc(v)}. */\n  readonly ${propertyKey(v.name)}: ${v.readOnly ? 'ReadonlyVariable' : 'Variable'}<${v.typed.ts}>;`,
  );
  const constants = model.variables
    .filter((v) => v.readOnly)
    .map((v) => `  /** ${variableDoc(v)}. */\n  readonly ${propertyKey(v.name)}?: ${v.typed.ts};`);
  const block = (lines: string[]) => (lines.length > 0 ? `{\n${lines.join('\n')}\n}` : '{}');
  return `/** The object's maps, typed from their BTF key and value types. */
export interface ${api.maps} ${block(maps)}

/** The object's programs (a program left out of the load throws NameNotFoundError when read). */
export interface ${api.programs} ${block(programs)}

/**
 * The object's struct_ops maps, created and filled with their programs, not yet registered:
 * \`attach()\` registers them all, \`register()\` of one registers it.
 */
export interface ${api.structOps} ${block(structOps)}

/** The object's global variables. */
export interface ${api.variables} ${block(variables)}

/** Values of the object's \`.rodata\` constants, set before load (the verifier sees them). */
export interface ${api.constants} ${block(constants)}

/** Options of {@link ${api.cls}.load}: those of \`loadCollection\`, with typed constants. */
export interface ${api.loadOptions} extends Omit<CollectionOptions, 'constants'> {
  /** Values of \`.rodata\` constants. */
  readonly constants?: ${api.constants};
}${kconfigInterface(api, model.kconfig)}`;
}

/** What a `__weak` extern holds when the kernel's config does not set it. */
const ZERO = { boolean: 'false', number: '0', bigint: '0n', string: "''" } as const;

/** The interface of the object's `.kconfig` externs; nothing for an object without them. */
function kconfigInterface(api: Api, externs: readonly KconfigBinding[]): string {
  if (externs.length === 0) return '';
  const lines = externs.map((k) => {
    const weak = k.weak ? `, __weak: ${ZERO[k.ts]} when the kernel's config does not set it` : '';
    return `  /** \`${k.c} ${k.name}\` (.kconfig${weak}). */\n  readonly ${propertyKey(k.name)}: ${k.ts};`;
  });
  return `

/**
 * The object's \`.kconfig\` externs with the values the load gave them: what its programs read,
 * read-only (a libbpf skeleton's \`skel->kconfig\`).
 */
export interface ${api.kconfig} {
${lines.join('\n')}
}`;
}

function encodeConstants(api: Api, variables: readonly VariableBinding[]): string {
  const constants = variables.filter((v) => v.readOnly);
  const names = `[${constants.map((v) => quote(v.name)).join(', ')}]`;
  const lines = constants.map((v) =>
    ifStatement('  ', 'if', `${accessValues(v.name)} !== undefined`, (indent) =>
      list(
        indent,
        `out[${quote(v.name)}] = encode(`,
        [v.typed.codec, accessValues(v.name), 'OBJECT_BYTE_ORDER', quote(v.name)],
        ');',
      ),
    ),
  );
  return `/** The constants as bytes for \`loadCollection\`; refuses a name the object has no constant for. */
function encodeConstants(values: ${api.constants}): Record<string, Uint8Array> {
  const known: readonly string[] = ${names};
  for (const name of Object.keys(values))
    if (!known.includes(name)) throw new NameNotFoundError('variable', name, known, 'the .rodata constants');
  const out: Record<string, Uint8Array> = {};
${lines.join('\n')}
  return out;
}`;
}

function accessValues(name: string): string {
  return isIdentifier(name) ? `values.${name}` : `values[${quote(name)}]`;
}

/** The lookup of a struct_ops map (only in modules of objects with struct_ops maps). */
const STRUCT_OPS_MAP = `/** The collection's struct_ops map \`name\`. */
function structOpsMap(c: Collection, name: string): StructOps {
  const ops = c.structOps.get(name);
  if (ops === undefined)
    throw new NameNotFoundError('map', name, [...c.structOps.keys()], 'the struct_ops maps');
  return ops;
}`;

/** The class's \`kconfig\` member; nothing for an object without \`.kconfig\` externs. */
function kconfigField(api: Api, externs: readonly KconfigBinding[]): string {
  if (externs.length === 0) return '';
  return `
  /** The \`.kconfig\` externs as the load resolved them (\`Collection.kconfig\`, typed). */
  readonly kconfig: ${api.kconfig};`;
}

/** The constructor's statement that sets \`kconfig\`, each value of the type its C type gives it. */
function kconfigValues(externs: readonly KconfigBinding[]): string {
  if (externs.length === 0) return '';
  const lines = externs.map((k) => {
    const read = isIdentifier(k.name)
      ? `collection.kconfig.${k.name}`
      : `collection.kconfig[${quote(k.name)}]`;
    return `      ${propertyKey(k.name)}: ${read} as ${k.ts},`;
  });
  return `\n    this.kconfig = Object.freeze({\n${lines.join('\n')}\n    });`;
}

function classText(api: Api, model: ObjectModel): string {
  const maps = model.maps.map((m) => {
    if (!m.typed) return `      ${propertyKey(m.name)}: collection.map(${quote(m.name)}),`;
    if (m.typed.wrapper) {
      const head = `${propertyKey(m.name)}: ${m.typed.wrapper}.wrap(collection.map<never, ${m.typed.value.ts}>(${quote(m.name)}, { `;
      return list('      ', head, [`value: ${m.typed.value.codec}`], ' })),');
    }
    const value = m.typed.perCpu ? `perCpu(${m.typed.value.codec})` : m.typed.value.codec;
    const head = `${propertyKey(m.name)}: collection.map(${quote(m.name)}, { `;
    const key = m.typed.key ? [`key: ${m.typed.key.codec}`] : [];
    return list('      ', head, [...key, `value: ${value}`], ' }),');
  });
  const programs = model.programs.map(
    (p) =>
      `      get ${propertyKey(p.name)}(): Program {\n        return collection.program(${quote(p.name)});\n      },`,
  );
  const structOps = model.structOps.map(
    (m) =>
      `      get ${propertyKey(m.name)}(): StructOps {\n        return structOpsMap(collection, ${quote(m.name)});\n      },`,
  );
  const variables = model.variables.map((v) =>
    list(
      '      ',
      `${propertyKey(v.name)}: globalVariable(`,
      ['collection', quote(v.name), v.typed.codec],
      '),',
    ),
  );
  const block = (lines: string[], indent = '    ') =>
    lines.length > 0 ? `{\n${lines.join('\n')}\n${indent}}` : '{}';
  return `/**
 * The object loaded: its maps, programs and variables, typed. \`close()\` (or \`using\`) closes the
 * collection (every map and its typed views, every program and link).
 */
export class ${api.cls} implements Disposable {
  /** The loaded collection (every map, program and link; attach through it or {@link ${api.cls}.attach}). */
  readonly collection: Collection;
  /** The maps, typed. */
  readonly maps: ${api.maps};
  /** The programs. */
  readonly programs: ${api.programs};
  /** The struct_ops maps. */
  readonly structOps: ${api.structOps};
  /** The global variables. */
  readonly variables: ${api.variables};${kconfigField(api, model.kconfig)}

  /**
   * Loads the object: creates its maps, sets \`options.constants\`, loads its programs.
   * @throws NameNotFoundError for a constant the object does not have; CodecError for a value that does not fit
   */
  static load(options: ${api.loadOptions} = {}): ${api.cls} {
    const { constants, ...rest } = options;
${list('    ', `const collection = loadCollection(${api.object}(), { `, ['...rest', 'constants: encodeConstants(constants ?? {})'], ' });')}
    try {
      return new ${api.cls}(collection);
    } catch (e) {
      collection.close();
      throw e;
    }
  }

  private constructor(collection: Collection) {
    this.collection = collection;
    this.maps = ${block(maps)};
    this.programs = ${block(programs)};
    this.structOps = ${block(structOps)};
    this.variables = ${block(variables)};${kconfigValues(model.kconfig)}
  }

  /** Attaches the programs as their sections say (\`Collection.attach\`); links close with this object. */
  attach(targets: AttachTargets = {}, names?: readonly (keyof ${api.programs})[]): Link[] {
    return this.collection.attach(targets, names);
  }

  /** Closes the collection (its maps and their typed views, its programs and links); idempotent. */
  close(): void {
    this.collection.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}`;
}
