/**
 * The `.BTF` of the output of {@link linkObjects}: every input's types appended in input order
 * with their ids moved, then equal types merged (see `dedupTypes`), an
 * `extern` function or variable resolved by another object replaced by that object's definition
 * (references to it renumbered), the variable of a `__weak` definition that lost replaced by
 * the winner's, and one DATASEC per output section holding every object's variables at their
 * offsets in the output section.
 */
import type { Btf, BtfType, BtfTypeSpec, BtfVarSecInfo } from '@ts-ebpf/btf';
import { LinkError } from '../errors.js';
import { dedupTypes } from './btf-dedup.js';
import { remapRefs } from './btf-refs.js';
import { checkExternTypes } from './extern-types.js';
import type { LinkInput } from './inputs.js';
import { type SectionLayout, SHARED_SECTIONS } from './layout.js';
import type { GlobalSymbol } from './resolve.js';

/** The merged types and how input type ids map onto them. */
export interface MergedBtf {
  /** The output types, id 1 first. */
  readonly types: BtfTypeSpec[];
  /** The output id of type `id` of `input`'s BTF (0 for void). */
  idOf(input: LinkInput, id: number): number;
}

/** A type replaced by another object's: the definition (`input`'s type `id`). */
interface Alias {
  readonly input: LinkInput;
  readonly id: number;
}

/** A FUNC or VAR of `input` whose type must fit another object's (see `checkExternTypes`). */
interface Check {
  readonly input: LinkInput;
  readonly t: BtfType & { kind: 'func' | 'var' };
  readonly to: Alias;
  readonly against: 'definition' | 'declaration';
}

/**
 * The type that type `t` (a FUNC or VAR of `input`) gives way to: the definition, when another
 * object's wins; for an extern no object defines (a kfunc, a `__ksym`), the same extern of the
 * first object that declares it. Each replacement, and a losing `__weak` function (kept), is
 * noted in `checks`.
 */
function replacement(
  input: LinkInput,
  t: BtfType,
  globals: ReadonlyMap<string, GlobalSymbol>,
  checks: Check[],
): Alias | undefined {
  if ((t.kind !== 'func' && t.kind !== 'var') || t.linkage === 'static') return undefined;
  const g = globals.get(t.name);
  const w = g?.winner;
  if (!w && g && t.linkage === 'extern') {
    const to = firstExtern(input, t, g);
    if (to) checks.push({ input, t, to, against: 'declaration' });
    return to;
  }
  if (!w || w.input === input || !w.input.btf) return undefined;
  const def = w.input.btf.findIds(t.name, t.kind).find((id) => {
    const d = w.input.btf!.type(id) as { linkage: string };
    return d.linkage !== 'extern' && d.linkage !== 'static';
  });
  if (def === undefined) return undefined;
  const to = { input: w.input, id: def };
  checks.push({ input, t, to, against: 'definition' });
  // A losing __weak function's code stays (its func_info names its type); its variable does not.
  return t.kind === 'func' && t.linkage !== 'extern' ? undefined : to;
}

/** The same extern (`t`'s kind and name) in the first input before `input` that declares it. */
function firstExtern(input: LinkInput, t: BtfType, g: GlobalSymbol): Alias | undefined {
  for (const { input: other } of g.refs) {
    if (other.index >= input.index) break;
    const btf = other.btf!;
    const id = btf
      .findIds(t.name, t.kind)
      .find((i) => (btf.type(i) as { linkage: string }).linkage === 'extern');
    if (id !== undefined) return { input: other, id };
  }
  return undefined;
}

/**
 * For the FUNC_PROTO of each extern function resolved by a definition (by `${input}:${id}`),
 * the definition's parameter names: an extern's parameters often have none, and named as the
 * definition's its prototype merges with it, as libbpf's linker names them.
 */
function definitionParamNames(checks: readonly Check[]): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const { input, t, to, against } of checks) {
    if (t.kind !== 'func' || t.linkage !== 'extern' || against !== 'definition') continue;
    const def = to.input.btf!.type((to.input.btf!.type(to.id) as { type: number }).type);
    if (def.kind === 'func_proto')
      out.set(
        `${input.index}:${t.type}`,
        def.params.map((p) => p.name),
      );
  }
  return out;
}

/** `proto` with each unnamed parameter named as in `names`. */
function withParamNames(proto: BtfTypeSpec & { kind: 'func_proto' }, names: readonly string[]): BtfTypeSpec {
  return {
    ...proto,
    params: proto.params.map((p, i) => (p.name === '' ? { ...p, name: names[i] ?? '' } : p)),
  };
}

/** `t` without its id, its references renumbered by `id`. */
function remap(t: BtfType, id: (ref: number) => number): BtfTypeSpec {
  const { id: _, ...spec } = t;
  return remapRefs(spec, id);
}

/**
 * Merges the inputs' BTF (all inputs have one; see `readInputs`).
 * @throws LinkError for an extern whose type does not fit its definition's
 */
export function mergeBtf(
  inputs: readonly LinkInput[],
  layout: SectionLayout,
  globals: ReadonlyMap<string, GlobalSymbol>,
): MergedBtf {
  const ids = new Map<LinkInput, Int32Array>();
  const aliases: { input: LinkInput; id: number; to: Alias }[] = [];
  const checks: Check[] = [];
  let next = 1;
  for (const input of inputs) {
    const btf = input.btf!;
    const map = new Int32Array(btf.typeCount).fill(-1);
    map[0] = 0;
    ids.set(input, map);
    for (let id = 1; id < btf.typeCount; id++) {
      const kind = btf.kindOf(id);
      if (kind === 'datasec') continue;
      const to =
        kind === 'func' || kind === 'var' ? replacement(input, btf.type(id), globals, checks) : undefined;
      if (to) aliases.push({ input, id, to });
      else map[id] = next++;
    }
  }
  for (const a of aliases) ids.get(a.input)![a.id] = ids.get(a.to.input)![a.to.id]!;
  const paramNames = definitionParamNames(checks);
  const idOf = (input: LinkInput, id: number): number => {
    const out = ids.get(input)![id] ?? -1;
    if (out < 0)
      throw new LinkError(`${input.name}: BTF type ${id} refers to a DATASEC or no type`, [input.name]);
    return out;
  };
  const types: BtfTypeSpec[] = [];
  for (const input of inputs) {
    const btf = input.btf!;
    const map = ids.get(input)!;
    for (let id = 1; id < btf.typeCount; id++) {
      // kept types only: a kept type's output id is the next to place
      if (map[id]! !== types.length + 1) continue;
      const spec = remap(btf.type(id), (ref) => idOf(input, ref));
      const names = paramNames.get(`${input.index}:${id}`);
      types.push(names && spec.kind === 'func_proto' ? withParamNames(spec, names) : spec);
    }
  }
  const replaced = new Set(aliases.map((a) => `${a.input.index}:${a.id}`));
  types.push(...mergeDatasecs(inputs, layout, idOf, (input, id) => replaced.has(`${input.index}:${id}`)));
  const merged = dedupTypes(types);
  const out = (input: LinkInput, id: number) => merged.ids[idOf(input, id)]!;
  checkExternTypes(
    checks.map(({ input, t, to, against }) => ({
      name: t.name,
      kind: t.kind,
      input,
      type: out(input, t.type),
      other: to.input,
      otherType: out(to.input, (to.input.btf!.type(to.id) as { type: number }).type),
      against,
    })),
    merged.types,
  );
  return { types: merged.types, idOf: out };
}

/** One DATASEC per name, its variables from every input placed where their section's part went. */
function mergeDatasecs(
  inputs: readonly LinkInput[],
  layout: SectionLayout,
  idOf: (input: LinkInput, id: number) => number,
  isReplaced: (input: LinkInput, id: number) => boolean,
): BtfTypeSpec[] {
  const secs = new Map<string, { size: number; vars: BtfVarSecInfo[]; names: Set<string> }>();
  for (const input of inputs) {
    const btf: Btf = input.btf!;
    for (let id = 1; id < btf.typeCount; id++) {
      const t = btf.type(id);
      if (t.kind !== 'datasec') continue;
      const section = input.elf.section(t.name);
      const part = section && layout.part(input, section.index);
      let sec = secs.get(t.name);
      if (!sec) {
        const merged = layout.sections.find((m) => m.name === t.name);
        sec = { size: merged ? merged.size : t.size, vars: [], names: new Set() };
        secs.set(t.name, sec);
      }
      const offsets = new Map<string, number>();
      if (section)
        for (const sym of input.elf.symbols)
          if (sym.section === section.index && sym.name) offsets.set(sym.name, Number(sym.value));
      for (const v of t.vars) {
        // a variable replaced by another object's definition is listed where that one is
        if (isReplaced(input, v.type)) continue;
        const name = btf.nameOf(v.type);
        // an extern section (.ksyms, .kconfig) lists each name once; a shared one (license),
        // held once, the variables of the first object that has it
        if (!part && sec.names.has(name)) continue;
        if (part && SHARED_SECTIONS.has(t.name) && part.merged.parts[0]!.input !== input) continue;
        sec.names.add(name);
        const offset = part ? part.offset + (offsets.get(name) ?? v.offset) : v.offset;
        sec.vars.push({ type: idOf(input, v.type), offset, size: v.size });
      }
    }
  }
  return [...secs].map(([name, s]) => ({ kind: 'datasec' as const, name, size: s.size, vars: s.vars }));
}
