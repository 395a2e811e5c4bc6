/**
 * BTF-defined maps of one name in several inputs of {@link linkObjects} (`__weak` definitions,
 * or one strong and others weak, or `extern` declarations of a map another input defines) become
 * one map only if their definitions match: map type, key
 * and value (size, and the kind and name of their types), max entries, flags, NUMA node, map
 * extra, pinning and, for a map of maps, the inner map's definition.
 */
import { resolveType, sizeOf } from '@ts-ebpf/btf';
import { type BtfMapSpec, parseBtfMaps, parseDef } from '../btf-maps.js';
import { LinkError } from '../errors.js';
import type { LinkInput } from './inputs.js';
import type { GlobalSymbol } from './resolve.js';

/** What must match, attribute by attribute, in the words the error names them with. */
function describe(input: LinkInput, spec: BtfMapSpec): [string, string][] {
  const btf = input.btf!;
  const typeName = (id: number): string => {
    if (id === 0) return '(size only)';
    const t = resolveType(btf, id);
    return `${t.kind} ${t.name || '(anon)'} of ${sizeOf(btf, t.id)} bytes`;
  };
  const out: [string, string][] = [
    ['type', String(spec.type)],
    ['key size', String(spec.keySize)],
    ['value size', String(spec.valueSize)],
    ['key type', typeName(spec.keyTypeId)],
    ['value type', typeName(spec.valueTypeId)],
    ['max entries', String(spec.maxEntries)],
    ['flags', String(spec.flags)],
    ['numa node', String(spec.numaNode)],
    ['map extra', String(spec.mapExtra)],
    ['pinning', String(spec.pinning)],
  ];
  if (spec.innerMap) for (const [k, v] of describe(input, spec.innerMap)) out.push([`inner map ${k}`, v]);
  return out;
}

/**
 * Checks every map defined in more than one input against the winning definition.
 * @throws LinkError naming both objects, the map and the first attribute that differs
 */
export function checkMapDefinitions(
  _inputs: readonly LinkInput[],
  globals: ReadonlyMap<string, GlobalSymbol>,
): void {
  const maps = new Map<LinkInput, Map<string, BtfMapSpec>>();
  const mapsOf = (input: LinkInput): Map<string, BtfMapSpec> => {
    let m = maps.get(input);
    if (!m) {
      m = input.btf ? parseBtfMaps(input.elf, input.btf) : new Map();
      if (input.btf) for (const [name, spec] of externMaps(input)) m.set(name, spec);
      maps.set(input, m);
    }
    return m;
  };
  for (const g of globals.values()) {
    const w = g.winner;
    if (w?.input.elf.sections[w.symbol.section]?.name !== '.maps') continue;
    const defs = g.refs.filter((r) => r !== w);
    if (defs.length === 0) continue;
    const want = mapsOf(w.input).get(g.name);
    if (!want) continue;
    const expected = describe(w.input, want);
    for (const d of defs) {
      const other = mapsOf(d.input).get(g.name);
      if (!other) continue;
      const got = describe(d.input, other);
      const k = expected.findIndex(([, v], i) => got[i]?.[1] !== v || got[i]?.[0] !== expected[i]![0]);
      if (k < 0 && got.length === expected.length) continue;
      const [attr, value] = expected[k] ?? got[expected.length]!;
      const otherValue = got.find(([a]) => a === attr)?.[1] ?? 'none';
      throw new LinkError(
        `map '${g.name}' of ${d.input.name} does not match its definition in ${w.input.name}: ${attr} ${otherValue} vs ${value}`,
        [d.input.name, w.input.name],
        g.name,
      );
    }
  }
}

/** The maps an input declares `extern` (VARs of extern linkage in its `.maps` DATASEC), parsed. */
function externMaps(input: LinkInput): Map<string, BtfMapSpec> {
  const btf = input.btf!;
  const out = new Map<string, BtfMapSpec>();
  for (const sec of btf.findAll('.maps', 'datasec'))
    for (const v of sec.vars) {
      const variable = btf.type(v.type);
      if (variable.kind !== 'var' || variable.linkage !== 'extern') continue;
      const def = resolveType(btf, variable.type);
      if (def.kind === 'struct') out.set(variable.name, parseDef(btf, variable.name, def));
    }
  return out;
}
