import { BpfCmd } from '@ts-ebpf/uapi';
import { Attr, cString, keepAlive } from './attr.js';
import { bpfCall, bpfTry } from './bpf.js';
import { syscallError } from './errors.js';
import { GET_ID, OBJ, OBJ_INFO } from './layouts.js';
import { checkCString, checkFd, checkU32 } from './validate.js';

const ENOENT = 2;

const pinAttr = new Attr(OBJ.path_fd + 4);

/** BPF_OBJ_PIN: pins a map, program, link or BTF object at a bpffs path. */
export function objPin(fd: number, path: string, fileFlags = 0): void {
  const p = cString(checkCString(path, 'path'));
  pinAttr
    .reset()
    .ptr(OBJ.pathname, p)
    .u32(OBJ.bpf_fd, checkFd(fd))
    .u32(OBJ.file_flags, checkU32(fileFlags, 'fileFlags'));
  try {
    bpfCall(BpfCmd.OBJ_PIN, pinAttr, OBJ.SIZE);
    keepAlive(p);
  } catch (e) {
    throw rethrowWithPath(e, path);
  }
}

/** BPF_OBJ_GET: opens a pinned object, returning a new fd. `fileFlags`: BPF_F_RDONLY / BPF_F_WRONLY. */
export function objGet(path: string, fileFlags = 0): number {
  const p = cString(checkCString(path, 'path'));
  pinAttr.reset().ptr(OBJ.pathname, p).u32(OBJ.file_flags, checkU32(fileFlags, 'fileFlags'));
  try {
    const fd = bpfCall(BpfCmd.OBJ_GET, pinAttr, OBJ.SIZE);
    keepAlive(p);
    return fd;
  } catch (e) {
    throw rethrowWithPath(e, path);
  }
}

function rethrowWithPath(e: unknown, path: string): unknown {
  if (e && typeof e === 'object' && 'errno' in e && typeof e.errno === 'number' && 'command' in e) {
    return syscallError(e.errno, { syscall: 'bpf', command: String(e.command), detail: path });
  }
  return e;
}

const idAttr = new Attr(GET_ID.SIZE);

function nextId(cmd: number, startId: number): number | null {
  idAttr.reset().u32(GET_ID.start_id, checkU32(startId, 'startId'));
  const r = bpfTry(cmd, idAttr, GET_ID.SIZE);
  if (r === -ENOENT) return null;
  if (r < 0) throw syscallError(-r, { syscall: 'bpf', command: 'BPF_*_GET_NEXT_ID' });
  return idAttr.getU32(GET_ID.next_id);
}

function fdById(cmd: number, name: string, id: number, openFlags: number): number {
  idAttr
    .reset()
    .u32(GET_ID.start_id, checkU32(id, 'id'))
    .u32(GET_ID.open_flags, checkU32(openFlags, 'openFlags'));
  const r = bpfTry(cmd, idAttr, GET_ID.SIZE);
  if (r < 0) throw syscallError(-r, { syscall: 'bpf', command: name, detail: `id ${id}` });
  return r;
}

/** BPF_PROG_GET_NEXT_ID: the next program id after `startId`, or null at the end. */
export const progGetNextId = (startId: number): number | null => nextId(BpfCmd.PROG_GET_NEXT_ID, startId);
/** BPF_MAP_GET_NEXT_ID: the next map id after `startId`, or null at the end. */
export const mapGetNextId = (startId: number): number | null => nextId(BpfCmd.MAP_GET_NEXT_ID, startId);
/** BPF_BTF_GET_NEXT_ID: the next BTF object id after `startId`, or null at the end. */
export const btfGetNextId = (startId: number): number | null => nextId(BpfCmd.BTF_GET_NEXT_ID, startId);
/** BPF_LINK_GET_NEXT_ID: the next link id after `startId`, or null at the end. */
export const linkGetNextId = (startId: number): number | null => nextId(BpfCmd.LINK_GET_NEXT_ID, startId);

/** BPF_PROG_GET_FD_BY_ID: opens the program with this id. */
export const progGetFdById = (id: number, openFlags = 0): number =>
  fdById(BpfCmd.PROG_GET_FD_BY_ID, 'BPF_PROG_GET_FD_BY_ID', id, openFlags);
/** BPF_MAP_GET_FD_BY_ID: opens the map with this id. */
export const mapGetFdById = (id: number, openFlags = 0): number =>
  fdById(BpfCmd.MAP_GET_FD_BY_ID, 'BPF_MAP_GET_FD_BY_ID', id, openFlags);
/** BPF_BTF_GET_FD_BY_ID: opens the BTF object with this id. */
export const btfGetFdById = (id: number, openFlags = 0): number =>
  fdById(BpfCmd.BTF_GET_FD_BY_ID, 'BPF_BTF_GET_FD_BY_ID', id, openFlags);
/** BPF_LINK_GET_FD_BY_ID: opens the link with this id. */
export const linkGetFdById = (id: number, openFlags = 0): number =>
  fdById(BpfCmd.LINK_GET_FD_BY_ID, 'BPF_LINK_GET_FD_BY_ID', id, openFlags);

const infoAttr = new Attr(OBJ_INFO.SIZE);

/**
 * BPF_OBJ_GET_INFO_BY_FD: fills `info` (a `bpf_map_info`, `bpf_prog_info`,
 * `bpf_link_info` or `bpf_btf_info`) and returns how many bytes the kernel wrote.
 */
export function objGetInfoByFd(fd: number, info: Uint8Array): number {
  infoAttr
    .reset()
    .u32(OBJ_INFO.bpf_fd, checkFd(fd))
    .u32(OBJ_INFO.info_len, info.byteLength)
    .ptr(OBJ_INFO.info, info);
  bpfCall(BpfCmd.OBJ_GET_INFO_BY_FD, infoAttr, OBJ_INFO.SIZE);
  return infoAttr.getU32(OBJ_INFO.info_len);
}

const statsAttr = new Attr(8);

/** BPF_ENABLE_STATS: turns on run-time statistics (`BpfStatsType.RUN_TIME`) while the fd is open. */
export function enableStats(type: number): number {
  return bpfCall(BpfCmd.ENABLE_STATS, statsAttr.reset().u32(0, checkU32(type, 'type')), 4);
}
