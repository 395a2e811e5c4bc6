import type { ProgramSpec } from '../collection-spec.js';
import { UsdtAttachError } from '../errors.js';
import { USDT_SPEC_SIZE } from './arg-spec.js';

/** The map of libbpf's `usdt.bpf.h` that holds one `struct __bpf_usdt_spec` per attached site. */
export const USDT_SPECS_MAP = '__bpf_usdt_specs';

/** True for a program of a `usdt` or `usdt.s` section (`usdt/<binary>:<provider>:<name>` too). */
export function isUsdtProgram(spec: ProgramSpec): boolean {
  return /^usdt(\.s)?$/.test(spec.section.split('/')[0]!);
}

/**
 * Refuses, before anything is created or attached, an object whose USDT programs could never
 * be attached because of its maps: a `__bpf_usdt_specs` map whose values are not
 * `struct __bpf_usdt_spec` of libbpf's `usdt.bpf.h`. Checked by `loadCollection` (for the
 * programs it loads) and `checkSectionAttach` (for the programs it is given), on the map's
 * definition with its edits; an object without the map is refused only when a program is
 * attached to a probe (it may be attached as a plain uprobe).
 * @param programs - the programs that will be loaded or attached
 * @param definition - the definition of the map of this name, if the object has one
 * @throws UsdtAttachError naming the first USDT program, the map and both sizes
 */
export function checkUsdtMaps(
  programs: Iterable<ProgramSpec>,
  definition: (name: string) => { readonly valueSize: number } | undefined,
): void {
  let first: ProgramSpec | undefined;
  for (const p of programs)
    if (isUsdtProgram(p)) {
      first = p;
      break;
    }
  if (!first) return;
  const specs = definition(USDT_SPECS_MAP);
  if (specs && specs.valueSize !== USDT_SPEC_SIZE)
    throw new UsdtAttachError(
      first.name,
      `map ${USDT_SPECS_MAP} has values of ${specs.valueSize} bytes, not the ${USDT_SPEC_SIZE} of struct __bpf_usdt_spec (libbpf's usdt.bpf.h)`,
    );
}
