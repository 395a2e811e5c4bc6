import { AssemblyError } from './errors.js';
import { GENERATED_HELPERS } from './generated/helpers.generated.js';
import type { HelperInfo } from './helper-types.js';
import { MANUAL_HELPERS } from './helpers.manual.js';

export type { HelperInfo } from './helper-types.js';

/** Every known BPF helper, generated from linux/bpf.h plus the hand-written newer ones. */
export const HELPERS: readonly HelperInfo[] = Object.freeze([...GENERATED_HELPERS, ...MANUAL_HELPERS]);

const byName = new Map<string, HelperInfo>(HELPERS.map((h) => [h.name, h]));
const byId = new Map<number, HelperInfo>(HELPERS.map((h) => [h.id, h]));

function bare(name: string): string {
  return name.startsWith('bpf_') ? name.slice(4) : name;
}

/** The helper with this id or name (`map_lookup_elem` or `bpf_map_lookup_elem`), if known. */
export function findHelper(idOrName: number | string): HelperInfo | undefined {
  return typeof idOrName === 'number' ? byId.get(idOrName) : byName.get(bare(idOrName));
}

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known helper name closest to `name` by edit distance. */
export function nearestHelperName(name: string): string {
  const wanted = bare(name);
  let best = HELPERS[0]!.name;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const h of HELPERS) {
    const d = editDistance(wanted, h.name);
    if (d < bestDistance) {
      best = h.name;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The helper with this id or name; throws an {@link AssemblyError} for an unknown one,
 * suggesting the nearest name for a misspelling.
 */
export function helper(idOrName: number | string): HelperInfo {
  const found = findHelper(idOrName);
  if (found) return found;
  if (typeof idOrName === 'number') throw new AssemblyError(`unknown helper id ${idOrName}`);
  throw new AssemblyError(`unknown helper '${idOrName}'; did you mean '${nearestHelperName(idOrName)}'?`);
}
