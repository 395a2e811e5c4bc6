import { ERRNO_NAMES } from './generated/errno.generated.js';

export { ERRNO_NAMES };

/** Errno numbers by name, the inverse of {@link ERRNO_NAMES}. */
export const Errno = Object.freeze(
  Object.fromEntries(Object.entries(ERRNO_NAMES).map(([n, name]) => [name, Number(n)])),
) as Readonly<Record<string, number>>;

/** The symbolic name of an errno value (`'EPERM'`), or `'E<number>'` when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}
