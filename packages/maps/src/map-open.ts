import { existsSync } from 'node:fs';
import {
  close,
  fdTarget,
  getPinned,
  type MapInfo,
  mapGetFdById,
  mapInfo,
  NotFoundError,
  OwnedFd,
} from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { MapNotFoundError, MapTypeError, NotAMapError, PinNotFoundError } from './errors.js';
import { infoCodecs, type MapCodecs } from './map-codecs.js';
import { MAP_FD_KIND, mapLabel } from './map-diagnosis.js';
import { mapTypeName } from './map-types.js';

// The fds behind BpfMap.fromFd, fromPin and fromId: checked to be maps, with the reason when not,
// and the kernel's description of the map with the codecs fitted to it.

/**
 * @internal Checks that `fd` is an open BPF map fd.
 * @throws NotAMapError when it is not open or not a map: the fd is then left to the caller, untouched
 */
export function checkMapFd(fd: number): void {
  const kind = fdTarget(fd);
  if (kind !== MAP_FD_KIND)
    throw new NotAMapError(
      `fd ${fd}`,
      kind === undefined ? 'is not an open file descriptor' : `is not a BPF map: it is ${kind}`,
    );
}

/**
 * @internal Opens the map pinned at `path` with BPF_OBJ_GET's `fileFlags` (`BPF_F_RDONLY`,
 * `BPF_F_WRONLY`, or 0 to read and write): a new fd, the caller's.
 * @throws PinNotFoundError when nothing is pinned there; NotAMapError when the file is not on
 * bpffs or what is pinned there is not a map
 */
export function openPinnedMap(path: string, fileFlags = 0): number {
  let fd: number;
  try {
    fd = getPinned(path, fileFlags);
  } catch (e) {
    if (e instanceof NotFoundError) throw new PinNotFoundError(path, e);
    if (existsSync(path)) throw new NotAMapError(path, 'is not a BPF object pinned on bpffs', e);
    throw e;
  }
  return ownMapFd(fd, path);
}

/**
 * @internal Opens the map with kernel id `id`: a new fd, the caller's.
 * @throws MapNotFoundError when no map has this id
 */
export function openMapById(id: number): number {
  let fd: number;
  try {
    fd = mapGetFdById(id);
  } catch (e) {
    if (e instanceof NotFoundError)
      throw new MapNotFoundError(`map id ${id}`, 'no map has this id (closed and freed?)', e);
    throw e;
  }
  return ownMapFd(fd, `map id ${id}`);
}

// An fd opened here: closed again when it is not a map.
function ownMapFd(fd: number, subject: string): number {
  const kind = fdTarget(fd);
  if (kind !== MAP_FD_KIND) {
    close(fd);
    throw new NotAMapError(subject, `is not a BPF map: it is ${kind}`);
  }
  return fd;
}

/**
 * @internal The map behind `fd` for `operation` (a reader's or writer's `open`), checked to be an
 * open BPF map of `type`: its info and its label for messages.
 * @throws NotAMapError when `fd` is not an open map; MapTypeError, saying `refusal` of the map's
 * type name, when it is a map of another type
 */
export function mapOfType(
  fd: number,
  type: number,
  operation: string,
  refusal: (typeName: string) => string,
): { info: MapInfo; label: string } {
  checkMapFd(fd);
  const info = mapInfo(fd);
  const label = mapLabel(info.type, info.name, info.id);
  if (info.type !== type) throw new MapTypeError(operation, label, refusal(mapTypeName(info.type)));
  return { info, label };
}

/** @internal What `BpfMap`'s constructor takes besides the fd: the map's kernel info and codecs. */
export interface AdoptedMap<K, V> {
  readonly info: MapInfo;
  readonly key: Codec<K>;
  readonly value: Codec<V>;
}

/**
 * @internal Takes `fd`, a map's, for a `BpfMap`: asks the kernel for its info, runs `check` on it,
 * and fits `codecs` to the sizes it reports.
 * @throws what `check` throws; CodecError when the codecs do not fit (see {@link infoCodecs}):
 * `fd` is then closed
 */
export function adoptMapFd<K, V>(
  fd: number,
  codecs: MapCodecs<K, V>,
  check?: (info: MapInfo) => void,
): AdoptedMap<K, V> {
  const owned = new OwnedFd(fd, 'map fd');
  let info: MapInfo;
  let fitted: { key: Codec<K>; value: Codec<V> };
  try {
    info = mapInfo(fd);
    check?.(info);
    fitted = infoCodecs(info, codecs, mapLabel(info.type, info.name, info.id));
  } catch (e) {
    // not the map asked for, or codecs that do not fit it: the fd was ours, close it
    owned.close();
    throw e;
  }
  owned.release();
  return { info, key: fitted.key, value: fitted.value };
}
