import {
  BpfAttachType,
  BpfAttachTypeNewer,
  BpfLinkType,
  BpfLinkTypeNewer,
  BpfProgType,
  BpfProgTypeNewer,
} from '@ts-ebpf/syscall';

function reverse(...tables: Readonly<Record<string, number>>[]): ReadonlyMap<number, string> {
  const out = new Map<number, string>();
  for (const t of tables)
    for (const [name, value] of Object.entries(t)) if (!name.startsWith('MAX_')) out.set(value, name);
  return out;
}

const PROG_TYPES = reverse(BpfProgType, BpfProgTypeNewer);
const ATTACH_TYPES = reverse(BpfAttachType, BpfAttachTypeNewer);
const LINK_TYPES = reverse(BpfLinkType, BpfLinkTypeNewer);

/** A program type's name (`'XDP'`), or `'type <n>'` for a number this build does not know. */
export function progTypeName(type: number): string {
  return PROG_TYPES.get(type) ?? `type ${type}`;
}

/** An attach type's name (`'CGROUP_INET_INGRESS'`), or `'attach type <n>'`. */
export function attachTypeName(type: number): string {
  return ATTACH_TYPES.get(type) ?? `attach type ${type}`;
}

/** A link type's name (`'XDP'`), or `'link type <n>'`. */
export function linkTypeName(type: number): string {
  return LINK_TYPES.get(type) ?? `link type ${type}`;
}
