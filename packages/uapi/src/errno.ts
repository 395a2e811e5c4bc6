import { ERRNO_NAMES, type ErrnoName } from './generated/errno.generated.js';

export { ERRNO_NAMES, type ErrnoName };

/** Errno numbers by name, the inverse of {@link ERRNO_NAMES}. */
export const Errno = Object.freeze(
  Object.fromEntries(Object.entries(ERRNO_NAMES).map(([n, name]) => [name, Number(n)])),
) as Readonly<Record<ErrnoName, number>>;

/** The symbolic name of an errno value (`'EPERM'`), or `'E<number>'` when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}
