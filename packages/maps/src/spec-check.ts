import { pageSize } from '@ts-ebpf/syscall';
import { MapSpecError } from './errors.js';
import { isKeyless, MapType, mapTypeName } from './map-types.js';
import {
  type ElementsRule,
  elementsRule,
  fixedKeySize,
  flagMask,
  flagNames,
  isEntryless,
  isValueless,
  needsInnerMap,
  refusedFlags,
  requiredFlag,
  valueRule,
} from './type-rules.js';

// A map spec checked before BPF_MAP_CREATE: what the kernel would refuse, named (the field and
// why) instead of its bare EINVAL.

/** The sizes and extras of a map about to be created. */
export interface CreateRequest {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly mapExtra?: bigint | number;
  /**
   * Whether an inner map template comes with the request (map-in-map types need one). Left
   * undefined by a caller that adds it later (an object loader): then not checked.
   */
  readonly hasInnerMap?: boolean;
  /**
   * Whether the request names a vmlinux BTF value type (struct_ops maps need one). Left
   * undefined by a caller that adds it later: then not checked.
   */
  readonly hasVmlinuxValueType?: boolean;
  /** Whether the map is created under a BPF token (for the meaning of EPERM). */
  readonly withToken?: boolean;
}

/** The largest `map_extra` of a bloom filter: the number of hash functions lives in its low 4 bits. */
const BLOOM_MAX_HASHES = 15;
/** `struct bpf_lpm_trie_key_hdr` (the u32 prefix length before the address bytes). */
export const LPM_HEADER = 4;
/** The kernel's `LPM_DATA_SIZE_MAX`. */
const LPM_DATA_MAX = 256;

/**
 * Throws a {@link MapSpecError} for a spec the kernel would refuse, before asking it: sizes,
 * entries and flags the map's type does not take, and a missing inner map or vmlinux value type.
 */
export function checkSpec(label: string, r: CreateRequest): void {
  const fail = (field: string, why: string): never => {
    throw new MapSpecError(label, field, why);
  };
  const t = mapTypeName(r.type);
  checkEntries(r, t, fail);
  checkSizes(r, t, fail);
  checkFlags(r, t, fail);
  if (needsInnerMap(r.type) && r.hasInnerMap === false)
    fail(
      'innerMap',
      `is missing: a ${t} map is created from an inner map template (a map of the type, sizes and flags its slots will hold)`,
    );
  if (r.type === MapType.STRUCT_OPS && r.hasVmlinuxValueType === false)
    fail(
      'btf',
      'has no vmlinuxValueTypeId: a struct_ops map holds a kernel ops struct; create it with StructOpsMap.create (it finds the type in vmlinux BTF)',
    );
  if (r.type === MapType.BLOOM_FILTER && r.mapExtra !== undefined && BigInt(r.mapExtra) > BLOOM_MAX_HASHES)
    fail('mapExtra', `(hash functions) is ${r.mapExtra}: a bloom filter has at most ${BLOOM_MAX_HASHES}`);
  if (r.type === MapType.ARENA) checkArena(r, fail);
}

type Fail = (field: string, why: string) => never;

function checkFlags({ type, flags }: CreateRequest, t: string, fail: Fail): void {
  const flag = requiredFlag(type);
  if (flag !== undefined && (flags & flag.flag) === 0)
    fail('flags', `0x${flags.toString(16)} lack ${flag.name}: ${t} maps are created with it`);
  const refused = refusedFlags(type, flags);
  if (refused !== 0)
    fail(
      'flags',
      `0x${flags.toString(16)} hold ${flagNames(refused).join(', ')}: ${t} maps take only ${flagNames(flagMask(type) ?? 0).join(', ')}`,
    );
}

/** An arena spans at most 4 GiB (its pages are addressed by the low 32 bits of a pointer). */
const ARENA_MAX_BYTES = 2n ** 32n;

// kernel/bpf/arena.c (arena_map_alloc): maxEntries is the arena's pages, mapExtra the address
// user space maps it at (0: wherever mmap puts it).
function checkArena({ maxEntries, mapExtra }: CreateRequest, fail: Fail): void {
  const page = BigInt(pageSize());
  const bytes = BigInt(maxEntries) * page;
  if (bytes > ARENA_MAX_BYTES)
    fail(
      'maxEntries',
      `is ${maxEntries} pages: an arena spans at most 4 GiB (${ARENA_MAX_BYTES / page} pages)`,
    );
  if (mapExtra === undefined) return;
  const start = BigInt(mapExtra);
  if (start % page !== 0n)
    fail(
      'mapExtra',
      `(the arena's user address) is 0x${start.toString(16)}: it must be page-aligned (${page})`,
    );
  if (start >> 32n !== (start + bytes - 1n) >> 32n)
    fail(
      'mapExtra',
      `(the arena's user address) is 0x${start.toString(16)}: its ${maxEntries} pages would cross a 4 GiB boundary`,
    );
}

function checkEntries({ type, maxEntries }: CreateRequest, t: string, fail: Fail): void {
  if (!Number.isInteger(maxEntries) || maxEntries < 0 || maxEntries > 0xffffffff)
    fail('maxEntries', `is ${maxEntries}: give the number of entries, an integer from 0 to 2^32 - 1`);
  if (isEntryless(type)) {
    if (maxEntries !== 0)
      fail('maxEntries', `is ${maxEntries}: ${t} maps are created with 0 (entries live on their objects)`);
    return;
  }
  if (maxEntries === 0) fail('maxEntries', 'is 0: a map needs room for at least one entry');
  if (type === MapType.RINGBUF || type === MapType.USER_RINGBUF) {
    const page = pageSize();
    if (maxEntries % page !== 0 || (maxEntries & (maxEntries - 1)) !== 0)
      fail(
        'maxEntries',
        `is ${maxEntries}: a ring buffer's size must be a power-of-2 multiple of the page size (${page}), e.g. ${page * 64}`,
      );
  }
}

function checkSizes({ type, keySize, valueSize, flags }: CreateRequest, t: string, fail: Fail): void {
  if (valueSize === 0 && !isValueless(type))
    fail('valueSize', `is 0: ${t} maps store values of at least 1 byte`);
  if (valueSize !== 0 && isValueless(type))
    fail('valueSize', `is ${valueSize}: ${t} maps are created with 0 (they hold no fixed-size values)`);
  if (keySize === 0 && !isKeyless(type)) fail('keySize', `is 0: ${t} maps need keys of at least 1 byte`);
  if (keySize !== 0 && isKeyless(type))
    fail('keySize', `is ${keySize}: ${t} maps are created with 0 (they have no keys)`);
  const key = fixedKeySize(type);
  if (key !== undefined && keySize !== key) fail('keySize', `is ${keySize}: ${t} maps take ${key}-byte keys`);
  const value = valueRule(type);
  if (value !== undefined && !value.sizes.includes(valueSize))
    fail(
      'valueSize',
      `is ${valueSize}: a ${t} map's value is ${value.sizes.join(' or ')} bytes, ${value.holds}`,
    );
  const elements = elementsRule(type, flags);
  if (elements !== undefined && valueSize !== 0) checkElements(valueSize, elements, t, fail);
  if (type === MapType.LPM_TRIE) {
    const data = keySize - LPM_HEADER;
    if (data < 1 || data > LPM_DATA_MAX)
      fail(
        'keySize',
        `is ${keySize}: an LPM trie key is a 4-byte prefix length and 1..${LPM_DATA_MAX} address bytes`,
      );
  }
}

function checkElements(valueSize: number, rule: ElementsRule, t: string, fail: Fail): void {
  const { element, most, mostFrom, holds } = rule;
  if (valueSize % element !== 0)
    fail('valueSize', `is ${valueSize}: a ${t} map's value holds ${holds}, a multiple of ${element} bytes`);
  if (most !== undefined && valueSize / element > most)
    fail(
      'valueSize',
      `is ${valueSize}: a ${t} map's value holds at most ${most} ${holds} (${mostFrom}), ${most * element} bytes`,
    );
}
