/**
 * Every program and bpf_link on the machine (BPF_PROG_GET_NEXT_ID, BPF_LINK_GET_NEXT_ID), as
 * cilium/ebpf's `ProgramGetNextID` and `link.Iterator`, libbpf's `bpf_prog_get_next_id` and
 * `bpf_link_get_next_id`. Listing and opening by id need CAP_SYS_ADMIN.
 */
import { linkGetNextId, NotFoundError, objectIds, openEachObject, progGetNextId } from '@ts-ebpf/syscall';
import { Link } from './link.js';
import { Program } from './program.js';

const gone = (e: unknown): boolean => e instanceof NotFoundError;

/** The id of every loaded program, in increasing order, read one at a time as the loop asks. */
export function programIds(): Generator<number, void, undefined> {
  return objectIds(progGetNextId);
}

/**
 * Every loaded program, opened one at a time (as `Program.fromId`) in id order. Each is open
 * for its loop body only: closed when the loop moves on or ends early (`break`, a throw), so the
 * loop leaves no descriptor open; to keep one, open it again with `Program.fromId(p.info().id)`
 * inside the body (its id stays valid while it is open). A program freed between the kernel
 * listing its id and the open is passed over (it no longer exists: the kernel's race, not a
 * failure); any other failure (EPERM without CAP_SYS_ADMIN …) is thrown.
 */
export function loadedPrograms(): Generator<Program, void, undefined> {
  return openEachObject(programIds(), Program.fromId, gone);
}

/** The id of every bpf_link, in increasing order, read one at a time as the loop asks. */
export function linkIds(): Generator<number, void, undefined> {
  return objectIds(linkGetNextId);
}

/**
 * Every bpf_link, opened one at a time (as `Link.fromId`) in id order, each open for its loop
 * body only, as {@link loadedPrograms}' programs: closed when the loop moves on or ends early;
 * keep one with `Link.fromId(link.info().id)`. A link freed between the listing and the open is
 * passed over; any other failure is thrown. Legacy attachments (netlink, PROG_ATTACH) are no
 * bpf_links and are not listed.
 */
export function loadedLinks(): Generator<Link, void, undefined> {
  return openEachObject(linkIds(), Link.fromId, gone);
}
