/**
 * Every map on the machine (BPF_MAP_GET_NEXT_ID), as cilium/ebpf's `MapGetNextID` and libbpf's
 * `bpf_map_get_next_id`. Listing and opening by id need CAP_SYS_ADMIN.
 */
import { mapGetNextId, objectIds, openEachObject } from '@ts-ebpf/syscall';
import { MapNotFoundError } from './errors.js';
import { BpfMap } from './map.js';

/** The id of every map, in increasing order, read one at a time as the loop asks. */
export function mapIds(): Generator<number, void, undefined> {
  return objectIds(mapGetNextId);
}

/**
 * Every map, opened one at a time (as `BpfMap.fromId`, without codecs: keys and values as bytes)
 * in id order. Each is open for its loop body only: closed when the loop moves on or ends early
 * (`break`, a throw), so the loop leaves no descriptor open; to keep one, open it again with
 * `BpfMap.fromId(m.info().id, codecs)` inside the body (its id stays valid while it is open). A
 * map freed between the kernel listing its id and the open is passed over (it no longer exists:
 * the kernel's race, not a failure); any other failure (EPERM without CAP_SYS_ADMIN …) is thrown.
 */
export function loadedMaps(): Generator<BpfMap<unknown, unknown>, void, undefined> {
  return openEachObject(
    mapIds(),
    (id) => BpfMap.fromId(id),
    (e) => e instanceof MapNotFoundError,
  );
}
