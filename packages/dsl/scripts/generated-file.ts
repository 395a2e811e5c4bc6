import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Path of `name` in src/generated/, where the generators write. */
export function generatedFile(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'generated', name);
}
