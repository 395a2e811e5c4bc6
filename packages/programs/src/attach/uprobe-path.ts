import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AttachError } from '../errors.js';

/**
 * Library directories searched for a bare shared-library name, after `LD_LIBRARY_PATH`: the
 * dynamic linker's default directories, with the Debian/Ubuntu multiarch ones of this machine.
 */
function libraryDirs(): string[] {
  const triplet = MULTIARCH[process.arch];
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const multiarch = triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`] : [];
  return [...fromEnv, '/lib64', '/usr/lib64', ...multiarch, '/lib', '/usr/lib'];
}

/** The multiarch directory name of each Node.js architecture (GNU triplets, as Debian names them). */
const MULTIARCH: Readonly<Record<string, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ia32: 'i386-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  loong64: 'loongarch64-linux-gnu',
};

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** Whether a mapped file's name is the library `name` names: itself, or `name.so…` / `name-<version>.so…`. */
const namesLibrary = (file: string, name: string): boolean =>
  file === name || file.startsWith(`${name}.so`) || (file.startsWith(`${name}-`) && file.includes('.so'));

/** A file mapped into a process: its path as `/proc/<pid>/maps` prints it, and where it is mapped. */
interface MappedFile {
  /** The path, without the ` (deleted)` the kernel appends for a file removed since. */
  readonly path: string;
  /** The first mapping's address range (`start-end`, hex), its name under `/proc/<pid>/map_files`. */
  readonly range: string;
  /** The device (`major:minor`, hex) and inode of the mapped file. */
  readonly dev: string;
  readonly inode: number;
}

const DELETED = ' (deleted)';

/** The files mapped into process `pid` that `name` names (see {@link namesLibrary}). */
function mappedFiles(pid: number, name: string, where: string): MappedFile[] {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (e) {
    throw new AttachError(where, `cannot read /proc/${pid}/maps to find '${name}' in process ${pid}`, {
      cause: e,
    });
  }
  const found = new Map<string, MappedFile>();
  for (const line of maps.split('\n')) {
    // address perms offset dev inode path: the path is the sixth field and may hold spaces
    const [range, , , dev, inode, ...rest] = line.split(/\s+/);
    const shown = rest.join(' ');
    const path = shown.endsWith(DELETED) ? shown.slice(0, -DELETED.length) : shown;
    if (path.startsWith('/') && namesLibrary(basename(path), name) && !found.has(path))
      found.set(path, { path, range: range!, dev: dev!, inode: Number(inode) });
  }
  return [...found.values()];
}

/** `st_dev` of a `major:minor` device as /proc/<pid>/maps prints it (hex), encoded as glibc's `makedev`. */
function deviceNumber(dev: string): number {
  const [major, minor] = dev.split(':').map((part) => Number.parseInt(part, 16)) as [number, number];
  return (
    (major & 0xfff) * 0x100 +
    (minor & 0xff) +
    (minor - (minor & 0xff)) * 0x1000 +
    (major - (major & 0xfff)) * 0x100000000
  );
}

/**
 * The path of mapped file `f` of process `pid` as this process can open it. /proc/<pid>/maps
 * prints a path as seen from this process's root (fs/d_path.c, `d_path`), but a file of another
 * mount namespace that this one cannot reach is printed as that namespace names it, and the same
 * path here may be another file (or none): the path is used as it is only when it is the very
 * file mapped (same device and inode); otherwise the mapping's `/proc/<pid>/map_files/<range>`
 * link, which leads to the mapped file whatever namespace it is in (opening it takes
 * CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, as a uprobe does in practice).
 */
function openablePath(pid: number, f: MappedFile): string {
  try {
    const st = statSync(f.path);
    if (st.ino === f.inode && st.dev === deviceNumber(f.dev)) return f.path;
  } catch {
    // not there in this mount namespace (or removed since): the mapping's link leads to it
  }
  return `/proc/${pid}/map_files/${f.range}`;
}

/**
 * The file a uprobe target's `path` names. A path with a `/` is used as it is. A bare name is
 * looked up as libbpf's uprobe attach does, and then some:
 * - with a `pid`, among the files mapped into that process (`/proc/<pid>/maps`): the file whose
 *   name is `name`, `name.so…` or `name-<version>.so…` (`libc` finds `libc.so.6`), so the
 *   library that process really uses: its path when that is the mapped file here too, else (a
 *   process of another mount namespace, a file removed since) `/proc/<pid>/map_files/<range>`,
 *   a link to the mapped file;
 * - a name with `.so` in it, in `LD_LIBRARY_PATH`, then /lib64, /usr/lib64, the multiarch
 *   directories (/lib/x86_64-linux-gnu …), /lib and /usr/lib;
 * - any other name, in the directories of `PATH` (an executable).
 * @param pid - the process the probe is for, or undefined / -1 for every process
 * @param where - how messages name the attachment
 * @throws AttachError when no file, or more than one mapped file, has that name (naming where it looked)
 */
export function resolveUprobePath(path: string, pid: number | undefined, where: string): string {
  if (path.includes('/')) return path;
  if (path === '') throw new AttachError(where, 'the uprobe path is empty');
  if (pid !== undefined && pid >= 0) {
    const mapped = mappedFiles(pid, path, where);
    if (mapped.length === 1) return openablePath(pid, mapped[0]!);
    throw new AttachError(
      where,
      mapped.length === 0
        ? `process ${pid} maps no file named '${path}' (/proc/${pid}/maps); give the file's full path`
        : `process ${pid} maps ${mapped.length} files that '${path}' names (${mapped.map((f) => f.path).join(', ')}); give one's full path`,
    );
  }
  const dirs = path.includes('.so') ? libraryDirs() : (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, path);
    if (isFile(candidate)) return candidate;
  }
  throw new AttachError(
    where,
    `no file named '${path}' in ${path.includes('.so') ? 'the library directories' : 'PATH'} (${dirs.join(':') || 'none'}); give the file's full path`,
  );
}
