import { expect } from 'vitest';
import { LinkError, linkObjects } from '../src/index.js';

/** What linking `objects` throws, checked to be a LinkError. */
export function linkError(objects: Uint8Array[], names?: string[]): LinkError {
  try {
    linkObjects(objects, { names });
  } catch (e) {
    expect(e).toBeInstanceOf(LinkError);
    return e as LinkError;
  }
  throw new Error('linked');
}
