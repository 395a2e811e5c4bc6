import { ElfError } from '../errors.js';

/**
 * A CO-RE relocation that cannot be applied at all (corrupt access string, an
 * instruction that does not hold the value the compiler recorded, candidates that
 * disagree). An unsatisfiable relocation is not an error: its instruction is poisoned.
 */
export class CoreError extends ElfError {
  constructor(message: string) {
    super(message);
    this.name = 'CoreError';
  }
}
