/**
 * Names of kernel facts, both ways: `progTypeByName('xdp')` → 6, `progTypeName(6)` → `'XDP'`.
 * Unknown names and numbers throw {@link UnknownNameError} naming them (with the nearest known
 * name for a misspelling), before anything reaches the kernel.
 */
import { closestName } from './did-you-mean.js';
import { EbpfError } from './errors.js';
import { BpfAttachType, BpfLinkType, BpfMapType, BpfProgType } from './generated/enums.generated.js';
import { HELPER_SIGNATURES } from './generated/helpers.generated.js';
import type { HelperSignature } from './helper-signature.js';

/** A name or number that is no member of the kernel fact asked for (program type, helper …). */
export class UnknownNameError extends EbpfError {
  /**
   * @param kind - what was looked up: `program type`, `map type`, `helper` …
   * @param wanted - the name or number given
   * @param suggestion - the nearest known name, when the given one looks misspelt
   */
  constructor(
    readonly kind: string,
    readonly wanted: string | number,
    readonly suggestion?: string,
  ) {
    const what = typeof wanted === 'number' ? `${kind} number ${wanted}` : `${kind} '${wanted}'`;
    super(`unknown ${what}${suggestion === undefined ? '' : `; did you mean '${suggestion}'?`}`);
  }
}

type Table = Readonly<Record<string, number>>;

function lookup<T extends Table>(table: T, kind: string, cPrefix: string, name: string): T[keyof T] {
  const bare = name.startsWith(cPrefix) ? name.slice(cPrefix.length) : name;
  for (const key of [bare, bare.toUpperCase(), bare.toLowerCase()]) {
    if (Object.hasOwn(table, key)) return table[key] as T[keyof T];
  }
  throw new UnknownNameError(kind, name, closestName(bare, Object.keys(table)));
}

function nameOf(table: Table, kind: string, value: number): string {
  for (const [key, v] of Object.entries(table)) if (v === value) return key;
  throw new UnknownNameError(kind, value);
}

/** The program type named `name` (`'XDP'`, `'xdp'` or `'BPF_PROG_TYPE_XDP'`). */
export function progTypeByName(name: string): BpfProgType {
  return lookup(BpfProgType, 'program type', 'BPF_PROG_TYPE_', name);
}

/** The map type named `name` (`'HASH'`, `'hash'` or `'BPF_MAP_TYPE_HASH'`). */
export function mapTypeByName(name: string): BpfMapType {
  return lookup(BpfMapType, 'map type', 'BPF_MAP_TYPE_', name);
}

/** The attach type named `name` (`'CGROUP_INET_INGRESS'` or `'BPF_CGROUP_INET_INGRESS'`). */
export function attachTypeByName(name: string): BpfAttachType {
  return lookup(BpfAttachType, 'attach type', 'BPF_', name);
}

/** The link type named `name` (`'XDP'` or `'BPF_LINK_TYPE_XDP'`). */
export function linkTypeByName(name: string): BpfLinkType {
  return lookup(BpfLinkType, 'link type', 'BPF_LINK_TYPE_', name);
}

/** The short name of program type `value` (`6` → `'XDP'`). */
export function progTypeName(value: number): string {
  return nameOf(BpfProgType, 'program type', value);
}

/** The short name of map type `value` (`1` → `'HASH'`). */
export function mapTypeName(value: number): string {
  return nameOf(BpfMapType, 'map type', value);
}

/** The short name of attach type `value` (`37` → `'XDP'`). */
export function attachTypeName(value: number): string {
  return nameOf(BpfAttachType, 'attach type', value);
}

/** The short name of link type `value` (`6` → `'XDP'`). */
export function linkTypeName(value: number): string {
  return nameOf(BpfLinkType, 'link type', value);
}

const helpersByName = new Map<string, HelperSignature>(HELPER_SIGNATURES.map((h) => [h.name, h]));
const helpersById = new Map<number, HelperSignature>(HELPER_SIGNATURES.map((h) => [h.id, h]));

/** The helper with this id or name (`'map_lookup_elem'` or `'bpf_map_lookup_elem'`), if there is one. */
export function findHelper(idOrName: number | string): HelperSignature | undefined {
  if (typeof idOrName === 'number') return helpersById.get(idOrName);
  return helpersByName.get(idOrName.startsWith('bpf_') ? idOrName.slice(4) : idOrName);
}

/** The helper with this id or name; an unknown one throws, suggesting the nearest name. */
export function helperSignature(idOrName: number | string): HelperSignature {
  const found = findHelper(idOrName);
  if (found) return found;
  if (typeof idOrName === 'number') throw new UnknownNameError('helper', idOrName);
  const bare = idOrName.startsWith('bpf_') ? idOrName.slice(4) : idOrName;
  throw new UnknownNameError('helper', idOrName, closestName(bare, helpersByName.keys()));
}
