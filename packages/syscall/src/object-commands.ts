import { BpfCmd, BpfMapCreateFlag, Errno } from '@ts-ebpf/uapi';
import { cString, keepAlive, lazyAttr } from './attr.js';
import { bpfCall, bpfTry } from './bpf.js';
import { syscallError } from './errors.js';
import { GET_ID, OBJ, OBJ_INFO } from './layouts.js';
import { checkPinPath } from './pin-path.js';
import { checkBuffer, checkCString, checkFd, checkU32 } from './validate.js';

const pinAttr = lazyAttr(OBJ.path_fd + 4);

/**
 * BPF_OBJ_PIN: pins a map, program, link or BTF object at a bpffs path.
 * @throws PinPathError when the path's directory does not exist or is not on bpffs (checked
 *   before the call)
 */
export function objPin(fd: number, path: string, fileFlags = 0): void {
  const p = cString(checkCString(path, 'path'));
  if (!(fileFlags & BpfMapCreateFlag.PATH_FD)) checkPinPath('BPF_OBJ_PIN', path, false);
  const a = pinAttr()
    .reset()
    .ptr(OBJ.pathname, p)
    .u32(OBJ.bpf_fd, checkFd(fd))
    .u32(OBJ.file_flags, checkU32(fileFlags, 'fileFlags'));
  const r = bpfTry(BpfCmd.OBJ_PIN, a, OBJ.SIZE);
  keepAlive(p);
  if (r < 0)
    throw syscallError(-r, { syscall: 'bpf', command: 'BPF_OBJ_PIN', detail: `fd ${fd} at ${path}` });
}

/**
 * BPF_OBJ_GET: opens a pinned object, returning a new fd. `fileFlags`: BPF_F_RDONLY / BPF_F_WRONLY.
 * @throws PinPathError when the path's directory does not exist or is not on bpffs
 * @throws NotFoundError when nothing is pinned at the path
 */
export function objGet(path: string, fileFlags = 0): number {
  const p = cString(checkCString(path, 'path'));
  if (!(fileFlags & BpfMapCreateFlag.PATH_FD)) checkPinPath('BPF_OBJ_GET', path, false);
  const a = pinAttr().reset().ptr(OBJ.pathname, p).u32(OBJ.file_flags, checkU32(fileFlags, 'fileFlags'));
  const fd = bpfTry(BpfCmd.OBJ_GET, a, OBJ.SIZE);
  keepAlive(p);
  if (fd < 0) throw syscallError(-fd, { syscall: 'bpf', command: 'BPF_OBJ_GET', detail: path });
  return fd;
}

const idAttr = lazyAttr(GET_ID.SIZE);

function nextId(cmd: number, startId: number): number | null {
  idAttr().reset().u32(GET_ID.start_id, checkU32(startId, 'startId'));
  const r = bpfTry(cmd, idAttr(), GET_ID.SIZE);
  if (r === -Errno.ENOENT) return null;
  if (r < 0) throw syscallError(-r, { syscall: 'bpf', command: 'BPF_*_GET_NEXT_ID' });
  return idAttr().getU32(GET_ID.next_id);
}

function fdById(cmd: number, name: string, id: number, openFlags: number): number {
  idAttr()
    .reset()
    .u32(GET_ID.start_id, checkU32(id, 'id'))
    .u32(GET_ID.open_flags, checkU32(openFlags, 'openFlags'));
  const r = bpfTry(cmd, idAttr(), GET_ID.SIZE);
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

const infoAttr = lazyAttr(OBJ_INFO.SIZE);

/**
 * BPF_OBJ_GET_INFO_BY_FD: fills `info` (a `bpf_map_info`, `bpf_prog_info`,
 * `bpf_link_info` or `bpf_btf_info`) and returns how many bytes the kernel wrote. The kernel
 * writes at most `info.byteLength` bytes into `info`, and that much is checked.
 *
 * The pointer fields inside `info` (a program's `map_ids`, `xlated_prog_insns`, `func_info`, a
 * BTF object's `btf` and `name` …) cannot be checked here: the kernel writes through each as
 * many bytes as the length or count field beside it says (a count times the element size: 4
 * per map id, 8 per ksym, the record size for func_info and line_info). The caller must point
 * each at writable memory at least that large (`addressOf` of a typed array), keep that memory
 * alive until this returns (a field whose length or count is 0 is left alone); a pointer to
 * less memory than its length has the kernel write past it. `infoBuffer`, `progInfo`
 * and `btfInfo` build these pointers from a buffer and its own length: prefer them.
 * @throws BufferSizeError for an empty or detached `info`
 */
export function objGetInfoByFd(fd: number, info: Uint8Array): number {
  checkBuffer(info, 'BPF_OBJ_GET_INFO_BY_FD', 'info', 1, 'an info struct');
  const a = infoAttr();
  a.reset()
    .u32(OBJ_INFO.bpf_fd, checkFd(fd))
    .u32(OBJ_INFO.info_len, info.byteLength)
    .ptr(OBJ_INFO.info, info);
  bpfCall(BpfCmd.OBJ_GET_INFO_BY_FD, a, OBJ_INFO.SIZE);
  return a.getU32(OBJ_INFO.info_len);
}

const statsAttr = lazyAttr(8);

/** BPF_ENABLE_STATS: turns on run-time statistics (`BpfStatsType.RUN_TIME`) while the fd is open. */
export function enableStats(type: number): number {
  return bpfCall(BpfCmd.ENABLE_STATS, statsAttr().reset().u32(0, checkU32(type, 'type')), 4);
}
