import type { BtfMapSpec } from './btf-maps.js';
import type { LegacyMapSpec, ProgramSpec } from './collection-spec.js';
import { SpecEditError } from './errors.js';

/**
 * Refuses, before anything is created, a load that needs a map set not to be created
 * (`setAutocreate(false)`): a program to load that uses it, or a created map whose initial slots
 * (`__array(values, …)`) hold it. libbpf lets such a load reach the verifier, which then refuses
 * the program at a poisoned instruction; here the error names the map and its user.
 * @throws SpecEditError naming the map, its `autocreate` setting and the program or map using it
 */
export function checkUncreatedMaps(
  toLoad: readonly ProgramSpec[],
  btfMaps: ReadonlyMap<string, BtfMapSpec>,
  legacyMaps: ReadonlyMap<string, LegacyMapSpec>,
): void {
  const uncreated = new Set<string>();
  for (const def of [...btfMaps.values(), ...legacyMaps.values()])
    if (def.autocreate === false) uncreated.add(def.name);
  if (uncreated.size === 0) return;
  const refuse = (map: string, user: string): never => {
    throw new SpecEditError(
      'map',
      map,
      'autocreate',
      `is false, but ${user}: the map must exist for it; create the map (setAutocreate(true)), ` +
        'or leave the program out (setAutoload(false) or options.programs)',
    );
  };
  for (const prog of toLoad)
    for (const ref of prog.references)
      if (ref.kind === 'map' && uncreated.has(ref.name))
        refuse(ref.name, `program '${prog.name}' uses it (instruction ${ref.insn})`);
  for (const def of btfMaps.values()) {
    if (def.autocreate === false || def.reuse) continue;
    for (const [slot, target] of def.initialValues)
      if (uncreated.has(target)) refuse(target, `map '${def.name}' holds it in slot ${slot} at load`);
  }
}
