import { BpfSyscallError } from '@ts-ebpf/syscall';
import { EbpfError } from '@ts-ebpf/uapi';

// The errors of maps: codecs, specs, the map system calls, opening, pinning; and of struct_ops
// types. The readers' and writers' errors are in reader-errors.ts.

/**
 * A key or value that does not fit its codec (wrong type, range, size or shape). Raised by a map's
 * operation, it names the map and the side first (`hash map 'counts': key: -1 is not a u32 …`) and
 * carries the codec's own error as `cause`.
 */
export class CodecError extends EbpfError {
  /**
   * The path of the offending field (`'value.addr[2]'`, `'keys[3]'`; a decode error of a codec used
   * on its own or by a reader: the path inside the decoded value, `'hdr.ts'`), the side
   * (`'value'`), or the codec name.
   */
  readonly field: string;
  /** The map whose key or value it is, as messages name it; undefined for a codec used on its own. */
  readonly map: string | undefined;

  /**
   * @param field - what the message names first: a field path, or the codec
   * @param message - what is wrong with it
   * @param options - `map`: the map whose key or value it is; `cause`: the error this one wraps
   */
  constructor(field: string, message: string, options?: { readonly map?: string; readonly cause?: unknown }) {
    const map = options?.map;
    super(
      map === undefined ? `${field}: ${message}` : `${map}: ${field}: ${message}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.field = field;
    this.map = map;
  }
}

/**
 * An operation the map's type does not offer (e.g. `RingBuffer.open` on a hash map, `delete` on an
 * array). The message names the operation, the map and its type by name.
 */
export class MapTypeError extends EbpfError {
  /** The operation asked for (`'RingBuffer.open'`, `'delete'`). */
  readonly operation: string;
  /** The map, as messages name it (`map 'events'`, `hash map (id 12)`). */
  readonly map: string;

  constructor(operation: string, map: string, message: string) {
    super(`${operation} on ${map}: ${message}`);
    this.operation = operation;
    this.map = map;
  }
}

/**
 * A map spec the kernel would refuse, found before asking it: a zero `maxEntries`, a zero key or
 * value size where the type needs one, a ring size that is not a power-of-2 multiple of the page
 * size, a bloom filter with more than 15 hash functions, an LPM key without address bytes.
 */
export class MapSpecError extends EbpfError {
  /** The map, as messages name it. */
  readonly map: string;
  /** The spec field at fault (`'maxEntries'`, `'valueSize'`, `'mapExtra'` …). */
  readonly field: string;

  constructor(map: string, field: string, message: string) {
    super(`${map}: ${field} ${message}`);
    this.map = map;
    this.field = field;
  }
}

/**
 * A failed map system call whose errno was read in its context and turned into its cause: keeps
 * the call's `errno`, `code` and `command` (so code that catches `BpfSyscallError` still does), says
 * what went wrong in the message, and carries the raw error as `cause`.
 */
export class MapSyscallError extends BpfSyscallError {
  /** The map, as messages name it (`hash map 'counts'`, `hash map (id 12)`). */
  readonly map: string;

  /** `message` follows the map's name. */
  constructor(map: string, message: string, cause: BpfSyscallError) {
    super(cause.errno, { syscall: cause.syscall, command: cause.command });
    this.map = map;
    this.message = `${map}${message}`;
    this.cause = cause;
    // the raw errno's generic hint is the very thing this error replaces
    (this as { hint: string | undefined }).hint = undefined;
    this.name = 'MapSyscallError';
  }
}

/**
 * The kernel refused to create a map (`map 'stackmap': failed to create: …`): names the map and
 * what was asked; `cause` is the system call's error.
 */
export class MapCreateError extends MapSyscallError {
  constructor(map: string, message: string, cause: BpfSyscallError) {
    super(map, `: failed to create: ${cause.code}: ${message}`, cause);
    this.name = 'MapCreateError';
  }
}

/** A write to a map frozen with `freeze()` (read-only for user space; programs may still write it). */
export class MapFrozenError extends MapSyscallError {
  constructor(map: string, operation: string, cause: BpfSyscallError) {
    super(map, ` is frozen (read-only for user space): ${operation} is refused`, cause);
    this.name = 'MapFrozenError';
  }
}

/**
 * An operation the map's fd does not allow: a write (update, delete, push, freeze, mmap) through
 * an fd opened read-only (`BpfMap.fromPin(path, codecs, { readOnly: true })`), or a read through
 * one opened write-only. The kernel answered EPERM (mmap: EACCES or EINVAL); the message says which access the fd has and,
 * for a map opened from a pin, the pin.
 */
export class MapAccessError extends MapSyscallError {
  /** The access the map's fd has. */
  readonly access: 'read-only' | 'write-only';
  /** The operation refused (`'update'`, `'delete'`, `'freeze'`, `'nextKey'` …). */
  readonly operation: string;

  constructor(
    map: string,
    access: 'read-only' | 'write-only',
    operation: string,
    openedFrom: string | undefined,
    cause: BpfSyscallError,
    why?: string,
  ) {
    const from = openedFrom === undefined ? '' : ` (opened from the pin '${openedFrom}')`;
    const refused = why ?? (access === 'read-only' ? 'it cannot be written' : 'it cannot be read');
    super(map, `: its fd is ${access}${from}, so ${refused}: ${operation} is refused`, cause);
    this.name = 'MapAccessError';
    this.access = access;
    this.operation = operation;
  }
}

/** A new key (or value) that does not fit: every one of the map's `maxEntries` slots is in use. */
export class MapFullError extends MapSyscallError {
  readonly maxEntries: number;

  constructor(map: string, maxEntries: number, advice: string, cause: BpfSyscallError) {
    super(map, ` is full: all ${maxEntries} entries (maxEntries) are in use; ${advice}`, cause);
    this.name = 'MapFullError';
    this.maxEntries = maxEntries;
  }
}

/** A key the map cannot hold: an array index at or past `maxEntries`, an LPM prefix longer than the address. */
export class KeyOutOfRangeError extends MapSyscallError {
  constructor(map: string, message: string, cause: BpfSyscallError) {
    super(map, `: ${message}`, cause);
    this.name = 'KeyOutOfRangeError';
  }
}

/**
 * An index outside a memory-mapped array ({@link MmapArray}): negative, not an integer, or at or
 * past `maxEntries`; or an atomic access at an offset outside the element or not aligned to its
 * width. Refused before any memory is touched.
 */
export class IndexOutOfRangeError extends EbpfError {
  /** The map, as messages name it. */
  readonly map: string;
  /** The index asked for. */
  readonly index: number;

  constructor(map: string, index: number, message: string) {
    super(`${map}: ${message}`);
    this.name = 'IndexOutOfRangeError';
    this.map = map;
    this.index = index;
  }
}

/** An update with `Update.NOEXIST` of a key the map holds already. */
export class KeyExistsError extends MapSyscallError {
  constructor(map: string, cause: BpfSyscallError) {
    super(
      map,
      `: ${cause.code}: the key is present, and the update asked for Update.NOEXIST (insert only)`,
      cause,
    );
    this.name = 'KeyExistsError';
  }
}

/** An update with `Update.EXIST` of a key the map does not hold. */
export class KeyNotFoundError extends MapSyscallError {
  constructor(map: string, cause: BpfSyscallError) {
    super(
      map,
      `: ${cause.code}: the key is absent, and the update asked for Update.EXIST (replace only)`,
      cause,
    );
    this.name = 'KeyNotFoundError';
  }
}

/**
 * An inner map that does not match the template the map-in-map was created with (the kernel
 * requires the same type, key and value sizes and flags): names both maps and both types.
 */
export class InnerMapMismatchError extends MapSyscallError {
  /** `map` is the outer map. */
  constructor(map: string, message: string, cause: BpfSyscallError) {
    super(map, `: ${message}`, cause);
    this.name = 'InnerMapMismatchError';
  }
}

/** `BpfMap.fromFd` / `fromPin` / `fromId` given something that is not a BPF map (a program, a file …). */
export class NotAMapError extends EbpfError {
  /** The fd or path given, as messages name it (`fd 7`, `/sys/fs/bpf/prog`). */
  readonly subject: string;

  constructor(subject: string, message: string, cause?: unknown) {
    super(`${subject} ${message}`, cause === undefined ? undefined : { cause });
    this.subject = subject;
  }
}

/** No map where one was asked for: no map with that id (`BpfMap.fromId`), nothing at a pin path. */
export class MapNotFoundError extends EbpfError {
  /** What was asked for (`map id 12`, a pin path). */
  readonly subject: string;

  constructor(subject: string, message: string, cause: unknown) {
    super(`${subject}: ${message}`, { cause });
    this.subject = subject;
  }
}

/** Nothing is pinned at the path given to `BpfMap.fromPin`. */
export class PinNotFoundError extends MapNotFoundError {
  /** The path asked for. */
  readonly path: string;

  constructor(path: string, cause: unknown) {
    super(
      path,
      'nothing is pinned here: check the path (is bpffs mounted there, was the map pinned?)',
      cause,
    );
    this.path = path;
  }
}

/**
 * A struct_ops type that the kernel's BTF does not describe (no `struct bpf_struct_ops_<type>`),
 * or a member it lacks or that cannot hold what was given.
 */
export class StructOpsTypeError extends EbpfError {
  /** The ops struct asked for (`'tcp_congestion_ops'`). */
  readonly type: string;

  /**
   * @param type - the ops struct; @param message - what is wrong with it or its member
   * @param options - `cause`: the error this one wraps
   */
  constructor(type: string, message: string, options?: { readonly cause?: unknown }) {
    super(`struct_ops '${type}': ${message}`, options);
    this.type = type;
  }
}

/** One way a pinned map differs from the spec that would reuse it. */
export interface PinMismatch {
  /** `'type'`, `'keySize'`, `'valueSize'`, `'maxEntries'`, `'mapFlags'` or `'mapExtra'`. */
  readonly field: string;
  readonly pinned: number | bigint | string;
  readonly wanted: number | bigint | string;
}

/**
 * A spec's `pinning` found a map at its path that is not the map the spec describes (as libbpf
 * and cilium/ebpf refuse to reuse one): remove the pin (`unlink` it, or `BpfMap.unpin()`) or
 * make the spec match.
 */
export class PinnedMapMismatchError extends EbpfError {
  /** The pin path. */
  readonly path: string;
  readonly mismatches: readonly PinMismatch[];

  constructor(path: string, mismatches: readonly PinMismatch[]) {
    const what = mismatches.map((m) => `${m.field} ${m.pinned} (spec: ${m.wanted})`).join(', ');
    super(`the map pinned at ${path} does not match the spec: ${what}; remove the pin or change the spec`);
    this.path = path;
    this.mismatches = mismatches;
  }
}

/**
 * A pin the kernel refused, with the reason found: the directory is not on bpffs, it does not
 * exist, or something is pinned at the path already.
 */
export class PinError extends MapSyscallError {
  /** The path asked for. */
  readonly path: string;

  constructor(map: string, path: string, message: string, cause: BpfSyscallError) {
    super(map, `: cannot pin at ${path}: ${cause.code}: ${message}`, cause);
    this.name = 'PinError';
    this.path = path;
  }
}
