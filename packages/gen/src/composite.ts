import { type BtfType, type CompositeType, memberBits, resolveType } from '@ts-ebpf/btf';
import { UnsupportedTypeError } from './errors.js';
import { byteCount, ifStatement, list } from './format.js';
import { access, pascalCase, propertyKey, quote } from './names.js';
import type { TypeLookup } from './types.js';

/** Names and facts of one struct or union declaration. */
export interface CompositeNames {
  /** The interface's name. */
  name: string;
  /** The codec constant's name. */
  codec: string;
  /** The C spelling (`struct event`). */
  c: string;
  /** Its alignment in bytes. */
  align: number;
  /** Where it was first used, for errors. */
  where: string;
}

/** One member, as the interface, `read` and `write` spell it. */
interface Member {
  key: string;
  /** The interface line (with its comment). */
  declaration: string;
  /** `key: <expression>,` inside `read`'s object literal, at `indent`. */
  read: (indent: string) => string;
  /** The statement writing `value` (an expression for the member's value), at `indent`. */
  write: (indent: string, value: string) => string;
  /** The codec in the fields table, for a member that is not a bitfield. */
  codec?: string;
  /** Where its bytes end, from the start of the struct or union. */
  end: number;
}

/** A bitfield's JavaScript type, from its declared type. */
function bitfieldKind(t: BtfType, where: string, c: string): { kind: string; signed: boolean } {
  if (t.kind === 'int' && t.bool) return { kind: 'boolean', signed: false };
  if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64')
    return { kind: t.size === 8 ? 'bigint' : 'number', signed: t.signed };
  throw new UnsupportedTypeError(c, where, `a bitfield of a ${t.kind}`);
}

function member(
  lookup: TypeLookup,
  m: CompositeType['members'][number],
  index: number,
  owner: CompositeNames,
): Member {
  const key = m.name || `_${index}`;
  const where = `${owner.where}.${key}`;
  const path = `\`\${p}.${key}\``;
  const c = lookup.cName(m.type);
  const { bitOffset, bitfieldSize } = memberBits(lookup.btf, m);
  const at = Math.floor(bitOffset / 8);
  const offset = at === 0 ? 'o' : `o + ${at}`;
  if (bitfieldSize > 0) {
    const { kind, signed } = bitfieldKind(resolveType(lookup.btf, m.type), where, c);
    lookup.helper('bits');
    const first = bitOffset % 8;
    const span = Math.ceil((first + bitfieldSize) / 8);
    const args = `d, ${offset}, ${span}, ${first}, ${bitfieldSize}`;
    const raw = `readBits(${args}, ${signed}, order)`;
    const read = kind === 'bigint' ? raw : kind === 'boolean' ? `${raw} !== 0n` : `Number(${raw})`;
    return {
      key,
      declaration: `  /** \`${c} ${m.name}: ${bitfieldSize}\`: bits ${bitOffset}..${bitOffset + bitfieldSize - 1}. */\n  ${propertyKey(key)}: ${kind};`,
      read: (indent) => `${indent}${propertyKey(key)}: ${read},`,
      write: (indent, value) =>
        list(
          indent,
          'writeBits(',
          [
            ...args.split(', '),
            `bitValue(${value}, ${path}, '${kind}', ${bitfieldSize}, ${signed})`,
            'order',
          ],
          ');',
        ),
      end: at + span,
    };
  }
  const hint = m.name ? `${owner.name}${pascalCase(m.name)}` : `${owner.name}Anon${index}`;
  const typed = lookup.typeOf(m.type, where, hint);
  const note = typed.note ? `; ${typed.note}` : '';
  const field = access('f', key);
  return {
    key,
    declaration: `  /** \`${typed.c} ${m.name || '(anonymous)'}\`: byte ${at}, ${byteCount(typed.size)}${note}. */\n  ${propertyKey(key)}: ${typed.ts};`,
    read: (indent) => list(indent, `${propertyKey(key)}: ${field}.read(`, ['d', offset, 'order'], '),'),
    write: (indent, value) => list(indent, `${field}.write(`, ['d', offset, value, path, 'order'], ');'),
    codec: typed.codec,
    end: at + typed.size,
  };
}

/**
 * A struct or union as an exported interface and an exported `Codec` constant. Struct codecs
 * check that the object has exactly the interface's fields and write every byte (padding as
 * zeros); union reads give every member's view of the bytes, union writes take exactly one
 * member.
 */
export function emitComposite(lookup: TypeLookup, t: CompositeType, names: CompositeNames): string {
  const members = t.members.map((m, i) => member(lookup, m, i, names));
  const union = t.kind === 'union';
  const optional = union ? '?' : '';
  const keys = union
    ? list(
        '  ',
        'const extents: Readonly<Record<string, number>> = { ',
        members.map((m) => `${propertyKey(m.key)}: ${m.end}`),
        ' };',
      )
    : list(
        '  ',
        'const keys: readonly string[] = [',
        members.map((m) => quote(m.key)),
        '];',
      );
  const table = members
    .filter((m) => m.codec !== undefined)
    .map((m) => `    ${propertyKey(m.key)}: ${m.codec},`)
    .join('\n');
  const zero = `new Uint8Array(d.buffer, d.byteOffset + o, ${t.size}).fill(0);`;
  let write: string;
  if (union) {
    lookup.helper('unionWrite');
    write = [
      `      unionWrite(`,
      `        d,`,
      `        o,`,
      `        ${t.size},`,
      `        v,`,
      `        p,`,
      `        extents,`,
      `        (k, d, o) => {`,
      ...members.map((m, i) =>
        ifStatement('          ', i === 0 ? 'if' : 'else if', `k === ${quote(m.key)}`, (indent) =>
          m.write(indent, `${access('v', m.key)}!`),
        ),
      ),
      '        },',
      '        () => codec.read(d, o, order),',
      '      );',
    ].join('\n');
  } else {
    lookup.helper('checkStruct');
    write = [
      `      checkStruct(v, p, keys);`,
      `      ${zero}`,
      ...members.map((m) => m.write('      ', access('v', m.key))),
    ].join('\n');
  }
  const doc = union
    ? `\`${names.c}\` (${byteCount(t.size)}): reading gives every member's view of the bytes; writing takes one member (or several that agree).`
    : `\`${names.c}\` (${byteCount(t.size)}).`;
  const declaration = members.map((m) => m.declaration.replace(/: ([^:]*);$/, `${optional}: $1;`)).join('\n');
  // Bitfields are read and written in place: a struct of bitfields only has no table of codecs.
  const fields = table === '' ? '' : `\n  const f = {\n${table}\n  } as const;`;
  const body = declaration === '' ? '{}' : `{\n${declaration}\n}`;
  return `/** ${doc} */
export interface ${names.name} ${body}

/** Codec of {@link ${names.name}}: \`${names.c}\`, ${byteCount(t.size)}, aligned to ${names.align}. */
export const ${names.codec}: Codec<${names.name}> = (() => {
${keys}${fields}
  ${union ? `const codec: Codec<${names.name}> = {` : 'return {'}
    name: ${quote(names.c)},
    size: ${t.size},
    align: ${names.align},
    write(d: DataView, o: number, v: ${names.name}, p: string, order: ByteOrder): void {
${write}
    },
    read(d: DataView, o: number, order: ByteOrder): ${names.name} {
      return {
${members.map((m) => m.read('        ')).join('\n')}
      };
    },
  };${union ? '\n  return codec;' : ''}
})();`;
}

/**
 * A named enum's enumerators as an exported constant object (`Color.RED`): bigints for an enum of
 * 8 bytes (whose values are bigints), an ENUM64 or an ENUM of size 8 alike; numbers otherwise.
 */
export function emitEnum(t: Extract<BtfType, { kind: 'enum' | 'enum64' }>, name: string, c: string): string {
  const values = t.values
    .map((v) => `  ${propertyKey(v.name)}: ${t.size === 8 ? `${BigInt(v.value)}n` : v.value},`)
    .join('\n');
  return `/** The enumerators of \`${c}\`. */
export const ${name} = {
${values}
} as const;`;
}
