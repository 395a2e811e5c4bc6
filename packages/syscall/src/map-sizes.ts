import { readlinkSync } from 'node:fs';
import { BpfMapType, BpfMapUpdateFlag, isPerCpuMapType } from '@ts-ebpf/uapi';
import { BadFileDescriptorError, BpfArgumentError, BpfSyscallError } from './errors.js';
import { cachedSizes, type MapSizes, rememberSizes } from './fd-cache.js';
import { mapInfo } from './info.js';
import { possibleCpus } from './system.js';
import { bufferError, checkFd } from './validate.js';

// Hash maps keep their batch position as a 32-bit bucket number; the others as a key.
const HASH_BATCH = new Set<number>([
  BpfMapType.HASH,
  BpfMapType.PERCPU_HASH,
  BpfMapType.LRU_HASH,
  BpfMapType.LRU_PERCPU_HASH,
  BpfMapType.HASH_OF_MAPS,
]);

/**
 * The sizes the kernel uses for buffers of the map at `fd`: cached per fd (see fd-cache.ts),
 * read from the map's info on the first use of an fd.
 * @throws BadFileDescriptorError when `fd` is not open; BpfArgumentError when it is not a map
 */
export function mapSizes(fd: number, command: string): MapSizes {
  return cachedSizes(fd) ?? readSizes(fd, command);
}

function readSizes(fd: number, command: string): MapSizes {
  checkFd(fd, 'mapFd');
  const kind = fdKind(fd, command);
  if (kind !== undefined && kind !== 'anon_inode:bpf-map') {
    throw new BpfArgumentError('mapFd', `${command}: fd ${fd} is not a BPF map (it is ${kind})`);
  }
  let info: ReturnType<typeof mapInfo>;
  try {
    info = mapInfo(fd);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.code === 'EBADF') {
      throw new BadFileDescriptorError(e.errno, {
        syscall: 'bpf',
        command,
        detail: `map fd ${fd} is not open`,
      });
    }
    throw e;
  }
  const perCpu = isPerCpuMapType(info.type);
  const slot = (info.valueSize + 7) & ~7;
  const entry: MapSizes = Object.freeze({
    type: info.type,
    id: info.id,
    keySize: info.keySize,
    valueSize: info.valueSize,
    valueBytes: perCpu ? slot * possibleCpus().length : info.valueSize,
    batchPositionSize: HASH_BATCH.has(info.type) ? 4 : info.keySize,
  });
  rememberSizes(fd, entry);
  return entry;
}

/**
 * What `fd` refers to (`anon_inode:bpf-map`, `anon_inode:bpf-prog`, `/path/to/file` …), from
 * /proc/self/fd; undefined when /proc is not mounted (the kernel then refuses map commands on
 * other objects with EINVAL before it touches a buffer).
 */
function fdKind(fd: number, command: string): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') {
      throw new BadFileDescriptorError(
        9,
        { syscall: 'bpf', command, detail: `map fd ${fd} is not open (checked before the call)` },
        { cause: e },
      );
    }
    return undefined;
  }
}

/** The bytes one value buffer needs with these element `flags` (BPF_F_CPU: one CPU's slot). */
export function valueBytes(s: MapSizes, flags: number | bigint): number {
  if (s.valueBytes === s.valueSize) return s.valueBytes;
  const low = typeof flags === 'bigint' ? Number(flags & 0xffn) : flags & 0xff;
  return low & (BpfMapUpdateFlag.CPU | BpfMapUpdateFlag.ALL_CPUS) ? s.valueSize : s.valueBytes;
}

/** Why a value needs `needed` bytes, for messages. */
function valueWhy(fd: number, s: MapSizes, needed: number): string {
  if (needed === s.valueSize) return `map fd ${fd} (id ${s.id}) with value_size ${s.valueSize}`;
  const cpus = needed / ((s.valueSize + 7) & ~7);
  return `per-CPU map fd ${fd} (id ${s.id}): round_up(value_size ${s.valueSize}, 8) × ${cpus} possible CPUs`;
}

/** Throws for a key buffer shorter than the map's key size (a null key where one is needed). */
export function keyError(
  fd: number,
  s: MapSizes,
  command: string,
  argument: string,
  key: Uint8Array | null,
): never {
  return bufferError(
    key,
    command,
    argument,
    s.keySize,
    `map fd ${fd} (id ${s.id}) with key_size ${s.keySize}`,
  );
}

/** Throws for a value buffer shorter than `needed`. */
export function valueError(
  fd: number,
  s: MapSizes,
  command: string,
  argument: string,
  value: Uint8Array | null,
  needed: number,
): never {
  return bufferError(value, command, argument, needed, valueWhy(fd, s, needed));
}

/** Throws for a batch buffer shorter than `count` elements of `each` bytes. */
export function batchError(
  fd: number,
  s: MapSizes,
  command: string,
  argument: string,
  bytes: Uint8Array | null | undefined,
  count: number,
  each: number,
  what: string,
): never {
  return bufferError(
    bytes,
    command,
    argument,
    count * each,
    `${count} × ${each} bytes (${what} of map fd ${fd}, id ${s.id})`,
  );
}
