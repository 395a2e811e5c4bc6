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

/** The files mapped into process `pid` that `name` names (see {@link namesLibrary}). */
function mappedFiles(pid: number, name: string, where: string): string[] {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (e) {
    throw new AttachError(where, `cannot read /proc/${pid}/maps to find '${name}' in process ${pid}`, {
      cause: e,
    });
  }
  const found = new Set<string>();
  for (const line of maps.split('\n')) {
    // address perms offset dev inode path: the path is the sixth field and may hold spaces
    const path = line.split(/\s+/).slice(5).join(' ');
    if (path.startsWith('/') && namesLibrary(basename(path), name)) found.add(path);
  }
  return [...found];
}

/**
 * The file a uprobe target's `path` names. A path with a `/` is used as it is. A bare name is
 * looked up as libbpf's uprobe attach does, and then some:
 * - with a `pid`, among the files mapped into that process (`/proc/<pid>/maps`): the file whose
 *   name is `name`, `name.so…` or `name-<version>.so…` (`libc` finds `libc.so.6`), so the
 *   library that process really uses, also in another mount namespace's view;
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
    if (mapped.length === 1) return mapped[0]!;
    throw new AttachError(
      where,
      mapped.length === 0
        ? `process ${pid} maps no file named '${path}' (/proc/${pid}/maps); give the file's full path`
        : `process ${pid} maps ${mapped.length} files that '${path}' names (${mapped.join(', ')}); give one's full path`,
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
