import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { removeOrGone, unpin } from './bpffs.js';

/**
 * A pin path as found before pinning there (with `pinObject`, which makes missing parent
 * directories): whether something is there already, and which directories the pin would make.
 * What a run created is then known exactly, to be undone by {@link undoPin} when the run fails.
 */
export interface PinPlace {
  /** The pin path. */
  readonly path: string;
  /** Whether a file was at `path` already (a pin to reuse, or one in the way). */
  readonly taken: boolean;
  /** The parent directories of `path` that did not exist, deepest first. */
  readonly missingDirs: readonly string[];
}

/** Looks at `path` before pinning there: see {@link PinPlace}. */
export function pinPlace(path: string): PinPlace {
  const missingDirs: string[] = [];
  // The root exists: the walk ends there at the latest.
  for (let dir = dirname(resolve(path)); !existsSync(dir); dir = dirname(dir)) missingDirs.push(dir);
  return { path, taken: existsSync(path), missingDirs };
}

/**
 * Undoes a pin made at `place` (found free): removes the pin, then the directories made for it,
 * deepest first, while they are empty (one that holds something else now is kept, and so are
 * its parents). A pin or directory gone already is passed over.
 * @throws UnpinError (naming the path, the pin and the system call; the filesystem's error is
 *   the `cause`) when an unlink or rmdir fails otherwise
 */
export function undoPin(place: PinPlace): void {
  unpin(place.path);
  for (const dir of place.missingDirs) if (!removeOrGone('rmdir', dir, place.path)) return;
}
