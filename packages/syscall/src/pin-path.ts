import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PinPathError } from './errors.js';

/** `BPF_FS_MAGIC`: the `f_type` statfs(2) reports for bpffs. */
const BPF_FS_MAGIC = 0xcafe4a11;

// f_type values of common filesystems (linux/magic.h), to name the one a path is on.
const FS_NAMES: ReadonlyMap<number, string> = new Map([
  [0x01021994, 'tmpfs'],
  [0xef53, 'ext2/3/4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x794c7630, 'overlayfs'],
  [0x62656572, 'sysfs'],
  [0x9fa0, 'procfs'],
  [0x63677270, 'cgroup2'],
  [0x27e0eb, 'cgroup'],
  [0x74726163, 'tracefs'],
  [0x64626720, 'debugfs'],
  [0x73636673, 'securityfs'],
]);

function fsName(type: number): string {
  const magic = type >>> 0;
  return FS_NAMES.get(magic) ?? `a filesystem of type 0x${magic.toString(16)}`;
}

/**
 * Checks a pin path before BPF_OBJ_PIN/BPF_OBJ_GET: its directory exists (unless
 * `allowMissing`: then the nearest existing ancestor is checked) and is on bpffs.
 * @throws PinPathError naming the path and the directory at fault
 */
export function checkPinPath(command: string, path: string, allowMissing: boolean): void {
  const directory = dirname(resolve(path));
  let at = directory;
  for (;;) {
    let type: number;
    try {
      type = statfsSync(at).type;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && at !== dirname(at)) {
        if (!allowMissing) {
          throw new PinPathError(command, path, directory, 'missing-directory', code, { cause: e });
        }
        at = dirname(at);
        continue;
      }
      throw new PinPathError(command, path, at, 'missing-directory', String(code ?? e), { cause: e });
    }
    if (type >>> 0 !== BPF_FS_MAGIC) throw new PinPathError(command, path, at, 'not-bpffs', fsName(type));
    return;
  }
}
