import { readFileSync } from 'node:fs';
import { BpfArgumentError, BpfMapCreateFlag, BpfSyscallError } from '@ts-ebpf/syscall';
import { Errno } from '@ts-ebpf/uapi';
import { MapAccessError } from './errors.js';

// The access of a map's fd: asked for when opening a pin (BPF_OBJ_GET's file_flags), and read back
// from the fd to explain the kernel's EPERM. The element calls themselves check nothing: the kernel
// refuses them, and only the error path comes here.

/** How `BpfMap.fromPin` opens the pin (cilium/ebpf's `LoadPinOptions`, libbpf's `file_flags`). */
export interface PinOpenOptions {
  /** Open for reading only (`BPF_F_RDONLY`): writes are refused with `MapAccessError`. */
  readonly readOnly?: boolean;
  /** Open for writing only (`BPF_F_WRONLY`): reads are refused by the kernel (EPERM). */
  readonly writeOnly?: boolean;
}

/**
 * @internal The `file_flags` of BPF_OBJ_GET for `options`.
 * @throws BpfArgumentError when both `readOnly` and `writeOnly` are set, or either is not a boolean
 */
export function pinFileFlags(path: string, options: PinOpenOptions): number {
  const { readOnly = false, writeOnly = false } = options;
  for (const [name, value] of [
    ['readOnly', readOnly],
    ['writeOnly', writeOnly],
  ] as const)
    if (typeof value !== 'boolean')
      throw new BpfArgumentError(`options.${name}`, `expected a boolean, got ${String(value)}`);
  if (readOnly && writeOnly)
    throw new BpfArgumentError(
      'options',
      `readOnly and writeOnly exclude each other (opening '${path}'): leave both unset to read and write`,
    );
  return readOnly ? BpfMapCreateFlag.RDONLY : writeOnly ? BpfMapCreateFlag.WRONLY : 0;
}

/** The access mode of `fd` (O_ACCMODE of its file flags, from fdinfo), or undefined when unreadable. */
export function fdAccess(fd: number): 'read-only' | 'write-only' | 'read-write' | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const flags = /^flags:\s*([0-7]+)/m.exec(text)?.[1];
  if (flags === undefined) return undefined;
  const mode = Number.parseInt(flags, 8) & 3;
  return mode === 0 ? 'read-only' : mode === 1 ? 'write-only' : 'read-write';
}

/** What a map's failed operation did to it. */
export type MapAccess = 'read' | 'write';

/**
 * `e` explained as a {@link MapAccessError} when it is the kernel's EPERM for a `kind` operation
 * its fd's access does not allow (a write through a read-only fd, a read through a write-only
 * one); undefined otherwise. `openedFrom`: the pin the fd was opened from, for the message.
 */
export function accessError(
  label: string,
  fd: number,
  operation: string,
  kind: MapAccess,
  openedFrom: string | undefined,
  e: unknown,
): MapAccessError | undefined {
  if (!(e instanceof BpfSyscallError) || e.errno !== Errno.EPERM) return undefined;
  const access = fdAccess(fd);
  if (kind === 'write' && access === 'read-only')
    return new MapAccessError(label, access, operation, openedFrom, e);
  if (kind === 'read' && access === 'write-only')
    return new MapAccessError(label, access, operation, openedFrom, e);
  return undefined;
}
