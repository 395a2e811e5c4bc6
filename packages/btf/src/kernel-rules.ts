import type { BtfType, BtfTypeSpec } from './kinds.js';
import { memberBits, resolveType, sizeOf, type TypeSource } from './layout.js';

// What the kernel's BTF verifier (kernel/bpf/btf.c, the check_meta and resolve steps) refuses,
// told before BPF_BTF_LOAD is asked. Each function returns the reason, or undefined.

/**
 * A C identifier as the kernel accepts it for a type, member, enumerator, parameter, function or
 * variable name: ASCII letters, digits, `_` and `.`, not starting with a digit.
 */
const IDENTIFIER = /^[A-Za-z_.][A-Za-z0-9_.]*$/;
/** A DATASEC name: printable ASCII (`.data`, `.rodata.str1.1`, `license`). */
const SECTION_NAME = /^[\x20-\x7e]+$/;
const FLOAT_SIZES = [2, 4, 8, 12, 16];
const ENUM_SIZES = [1, 2, 4, 8];

function nameRule(
  what: string,
  name: string,
  rule: 'none' | 'optional' | 'required' | 'nonEmpty',
): string | undefined {
  if (rule === 'none') return name === '' ? undefined : `${what} cannot have a name (it has '${name}')`;
  if (name === '') return rule === 'optional' ? undefined : `${what} needs a name`;
  if (rule === 'nonEmpty' || IDENTIFIER.test(name)) return undefined;
  return `${what} name '${name}' is not an identifier the kernel accepts (letters, digits, '_' and '.', not starting with a digit)`;
}

/**
 * Why the kernel would refuse this type on its own (its names, size, linkage, member and
 * variable placement), or undefined. Checks nothing that depends on other types.
 */
export function kernelRefusal(t: BtfTypeSpec): string | undefined {
  switch (t.kind) {
    case 'ptr':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'array':
    case 'func_proto': {
      const why = nameRule(`a ${t.kind}`, t.name, 'none');
      if (why || t.kind !== 'func_proto') return why;
      for (const [i, p] of t.params.entries()) {
        const bad = nameRule(`parameter ${i}`, p.name, 'optional');
        if (bad) return bad;
        if (p.type === 0 && i !== t.params.length - 1)
          return `parameter ${i} is void, which only a last '...' may be`;
      }
      return undefined;
    }
    case 'typedef':
    case 'fwd':
      return nameRule(`a ${t.kind}`, t.name, 'required');
    case 'func':
    case 'var':
      return (
        nameRule(`a ${t.kind}`, t.name, 'required') ??
        (t.linkage === 'extern'
          ? `the kernel accepts no extern ${t.kind} (linkage static or global)`
          : undefined)
      );
    case 'type_tag':
    case 'decl_tag':
      return nameRule(`a ${t.kind}`, t.name, 'nonEmpty');
    case 'float':
      return FLOAT_SIZES.includes(t.size)
        ? undefined
        : `size ${t.size} is not a float size (${FLOAT_SIZES.join(', ')})`;
    case 'enum':
    case 'enum64': {
      const why =
        nameRule(`an ${t.kind}`, t.name, 'optional') ??
        (ENUM_SIZES.includes(t.size)
          ? undefined
          : `size ${t.size} is not an enum size (${ENUM_SIZES.join(', ')})`);
      if (why) return why;
      for (const v of t.values) {
        const bad = nameRule('an enumerator', v.name, 'required');
        if (bad) return bad;
      }
      return undefined;
    }
    case 'struct':
    case 'union':
      return compositeRefusal(t);
    case 'datasec':
      return datasecRefusal(t);
    default:
      return undefined;
  }
}

function compositeRefusal(t: BtfTypeSpec & { kind: 'struct' | 'union' }): string | undefined {
  const why = nameRule(`a ${t.kind}`, t.name, 'optional');
  if (why) return why;
  let last = 0;
  for (const [i, m] of t.members.entries()) {
    const member = `member ${i}${m.name ? ` '${m.name}'` : ''}`;
    const bad = nameRule(member, m.name, 'optional');
    if (bad) return bad;
    if (t.kind === 'union' && m.bitOffset !== 0)
      return `${member} is at bit ${m.bitOffset}: union members are at 0`;
    if (m.bitOffset < last)
      return `${member} is at bit ${m.bitOffset}, before the member ahead of it (bit ${last})`;
    if (Math.ceil(m.bitOffset / 8) > t.size)
      return `${member} is at bit ${m.bitOffset}, past the end of ${t.size} bytes`;
    last = m.bitOffset;
  }
  return undefined;
}

function datasecRefusal(t: BtfTypeSpec & { kind: 'datasec' }): string | undefined {
  if (!SECTION_NAME.test(t.name))
    return `a datasec needs a name of printable characters (it has '${t.name}')`;
  if (t.size === 0) return 'a datasec cannot be empty (size 0)';
  let end = 0;
  for (const [i, v] of t.vars.entries()) {
    if (v.size === 0) return `variable ${i} has size 0`;
    if (v.offset < end)
      return `variable ${i} at offset ${v.offset} overlaps the one ahead of it (it ends at ${end})`;
    end = v.offset + v.size;
    if (end > t.size) return `variable ${i} ends at ${end}, past the section's ${t.size} bytes`;
  }
  return undefined;
}

/** Kinds that only refer to others and that nothing may refer to (the kernel's "source only"). */
const SOURCE_ONLY = new Set(['var', 'datasec', 'decl_tag']);
/** Kinds that have no size, so no member, element or variable may be of them. */
const NO_SIZE = new Set(['void', 'fwd', 'func', 'func_proto']);
/** What a decl_tag may tag. */
const TAGGABLE = new Set(['struct', 'union', 'var', 'func', 'typedef']);

/** Why a type of no size (or a var, datasec, decl_tag) cannot be what `field` is, or undefined. */
function sized(types: TypeSource, id: number, field: string): string | undefined {
  const t = resolveType(types, id);
  if (NO_SIZE.has(t.kind) || SOURCE_ONLY.has(t.kind))
    return `${field} is type ${id}, a ${t.kind}, which has no size`;
  return undefined;
}

/**
 * Why the kernel would refuse `t` given the types it refers to (looked up in `types`), or
 * undefined: members, elements and variables of types with a size, a func over a prototype with
 * named parameters, data sections of variables, decl tags on what may be tagged.
 */
export function kernelRefusalAmong(t: BtfType, types: TypeSource): string | undefined {
  switch (t.kind) {
    case 'struct':
    case 'union':
      for (const [i, m] of t.members.entries()) {
        const member = `member ${i}${m.name ? ` '${m.name}'` : ''}`;
        const why = sized(types, m.type, member);
        if (why) return why;
        // an old-style bitfield (no kind flag) has its width in its INT type
        const bits = memberBits(types, m);
        const end = bits.bitOffset + (bits.bitfieldSize || sizeOf(types, m.type) * 8);
        if (end > t.size * 8) return `${member} ends at bit ${end}, past the end of ${t.size} bytes`;
      }
      return undefined;
    case 'array': {
      const index = resolveType(types, t.indexType);
      if (index.kind !== 'int') return `the index type ${t.indexType} is a ${index.kind}, not an int`;
      return sized(types, t.type, 'the element');
    }
    case 'var':
      return sized(types, t.type, 'the variable');
    case 'ptr':
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag': {
      const target = types.type(t.type);
      return SOURCE_ONLY.has(target.kind) ? `it refers to type ${t.type}, a ${target.kind}` : undefined;
    }
    case 'func': {
      const proto = types.type(t.type);
      if (proto.kind !== 'func_proto') return `its type ${t.type} is a ${proto.kind}, not a func_proto`;
      const unnamed = proto.params.findIndex(
        (p, i) => p.name === '' && !(p.type === 0 && i === proto.params.length - 1),
      );
      return unnamed < 0 ? undefined : `parameter ${unnamed} of its func_proto ${t.type} has no name`;
    }
    case 'datasec':
      for (const [i, v] of t.vars.entries()) {
        const kind = types.type(v.type).kind;
        if (kind !== 'var') return `variable ${i} is type ${v.type}, a ${kind}, not a var`;
      }
      return undefined;
    case 'decl_tag': {
      const target = types.type(t.type);
      if (!TAGGABLE.has(target.kind))
        return `it tags type ${t.type}, a ${target.kind} (only a struct, union, var, func or typedef)`;
      if (t.componentIdx === -1) return undefined;
      const parts =
        target.kind === 'struct' || target.kind === 'union'
          ? target.members.length
          : target.kind === 'func'
            ? (() => {
                const proto = types.type(target.type);
                return proto.kind === 'func_proto' ? proto.params.length : 0;
              })()
            : 0;
      return t.componentIdx < parts
        ? undefined
        : `component ${t.componentIdx} is past the ${parts} members or parameters of type ${t.type}`;
    }
    default:
      return undefined;
  }
}
