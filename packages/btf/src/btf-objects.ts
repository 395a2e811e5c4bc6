// Node-only module (kernel access); the rest of src/ is pure TypeScript.
/// <reference types="node" />
import { btfGetNextId, NotFoundError, objectIds, openEachObject } from '@ts-ebpf/syscall';
import { LoadedBtf } from './load.js';

/**
 * The id of every BTF object the kernel holds (vmlinux's, each module's, and those loaded with
 * programs and maps), in increasing order, read one at a time as the loop asks
 * (BPF_BTF_GET_NEXT_ID). Listing ids needs CAP_SYS_ADMIN.
 */
export function btfObjectIds(): Generator<number, void, undefined> {
  return objectIds(btfGetNextId);
}

/**
 * Every BTF object the kernel holds, opened one at a time (as `LoadedBtf.fromId`) in id order.
 * Each is open for its loop body only: closed when the loop moves on or ends early (`break`, a
 * throw), so the loop leaves no descriptor open; to keep one, open it again with
 * `LoadedBtf.fromId(btf.info().id)` inside the body. An object freed between the kernel
 * listing its id and the open is passed over (it no longer exists); any other failure is thrown.
 */
export function loadedBtfObjects(): Generator<LoadedBtf, void, undefined> {
  return openEachObject(btfObjectIds(), LoadedBtf.fromId, (e) => e instanceof NotFoundError);
}
