import { pageSize } from '@ts-ebpf/syscall';
import { MapSpecError } from './errors.js';
import { isKeyless, MapType, mapTypeName } from './map-types.js';
import {
  fixedKeySize,
  isEntryless,
  isValueless,
  needsInnerMap,
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
  const flag = requiredFlag(r.type);
  if (flag !== undefined && (r.flags & flag.flag) === 0)
    fail('flags', `0x${r.flags.toString(16)} lack ${flag.name}: ${t} maps are created with it`);
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
}

type Fail = (field: string, why: string) => never;

function checkEntries({ type, maxEntries }: CreateRequest, t: string, fail: Fail): void {
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

function checkSizes({ type, keySize, valueSize }: CreateRequest, t: string, fail: Fail): void {
  if (valueSize === 0 && !isValueless(type))
    fail('valueSize', `is 0: ${t} maps store values of at least 1 byte`);
  if (valueSize !== 0 && isValueless(type))
    fail('valueSize', `is ${valueSize}: ${t} maps are created with 0 (they hold no fixed-size values)`);
  if (keySize === 0 && !isKeyless(type)) fail('keySize', `is 0: ${t} maps need keys of at least 1 byte`);
  const key = fixedKeySize(type);
  if (key !== undefined && keySize !== key) fail('keySize', `is ${keySize}: ${t} maps take ${key}-byte keys`);
  const value = valueRule(type);
  if (value !== undefined && !value.sizes.includes(valueSize))
    fail(
      'valueSize',
      `is ${valueSize}: a ${t} map's value is ${value.sizes.join(' or ')} bytes, ${value.holds}`,
    );
  if (type === MapType.LPM_TRIE) {
    const data = keySize - LPM_HEADER;
    if (data < 1 || data > LPM_DATA_MAX)
      fail(
        'keySize',
        `is ${keySize}: an LPM trie key is a 4-byte prefix length and 1..${LPM_DATA_MAX} address bytes`,
      );
  }
}
