import { BpfMap } from '@ts-ebpf/maps';
import { Link, Program } from '@ts-ebpf/programs';
import { close, describeFdTarget, fdTarget, linkGetFdById, NotFoundError, objGet } from '@ts-ebpf/syscall';
import type { Args } from './args.js';
import { ObjectNotFoundError, WrongObjectKindError } from './errors.js';

/** How the command line names a kernel object: by id or by its pin on bpffs. */
export type ObjectRef = { readonly id: number } | { readonly pinned: string };

/** The argument forms naming an object, for help texts. */
export const REF_FORMS = 'id ID | pinned PATH | ID | PATH';

/**
 * Reads an object reference: `id ID`, `pinned PATH`, or a bare id or absolute path.
 * @param what - the object kind, for errors (`'map'`)
 * @throws UsageError for anything else
 */
export function readRef(args: Args, what: string): ObjectRef {
  if (args.take('id')) return { id: args.id(`the ${what} id`) };
  if (args.take('pinned')) return { pinned: args.next(`the path of the pinned ${what}`) };
  const a = args.peek();
  if (a === undefined) throw args.error(`missing the ${what} (${REF_FORMS})`);
  args.refuseOption(a);
  if (a.startsWith('/')) return { pinned: args.next(what) };
  if (/^[0-9]+$/.test(a)) return { id: args.id(`the ${what} id`) };
  throw args.error(`'${a}' names no ${what}: give ${REF_FORMS}`);
}

/** Opens `open(id)`, turning the kernel's ENOENT into an {@link ObjectNotFoundError}. */
export function byId<T>(kind: string, id: number, open: (id: number) => T): T {
  try {
    return open(id);
  } catch (e) {
    if (e instanceof NotFoundError) throw new ObjectNotFoundError(kind, id, e);
    throw e;
  }
}

/** Opens the program a reference names. */
export function openProgram(ref: ObjectRef): Program {
  return 'pinned' in ref ? Program.fromPin(ref.pinned) : byId('program', ref.id, Program.fromId);
}

/** Opens the map a reference names, with raw bytes for keys and values. */
export function openMap(ref: ObjectRef): BpfMap<Uint8Array, Uint8Array | Uint8Array[]> {
  return 'pinned' in ref ? BpfMap.fromPin(ref.pinned) : BpfMap.fromId(ref.id);
}

/** Opens the bpf_link a reference names. */
export function openLink(ref: ObjectRef): Link {
  if ('id' in ref) return new Link({ kind: 'link', fd: byId('link', ref.id, linkGetFdById) });
  const fd = objGet(ref.pinned);
  const target = fdTarget(fd) ?? 'unknown';
  // Kernels name the inode `bpf_link` or (6.x) `bpf-link`.
  if (target !== 'anon_inode:bpf_link' && target !== 'anon_inode:bpf-link') {
    close(fd);
    throw new WrongObjectKindError(`the object pinned at '${ref.pinned}'`, 'link', describeFdTarget(target));
  }
  return new Link({ kind: 'pinned', fd });
}
