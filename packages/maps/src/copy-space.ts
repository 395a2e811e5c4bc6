import { Buffer } from 'node:buffer';

/**
 * @internal Fresh memory of `span` bytes for a copy of ring records that the caller overwrites
 * whole at once (its records then keep it alive). Not zero-filled first: `new Uint8Array(span)`
 * zeroes memory the copy overwrites at once, and that zeroing is also what first touches
 * (page-faults in) memory the allocator just got from the kernel. Its own ArrayBuffer, never a
 * share of Node's Buffer pool: a record's `.buffer` holds nothing but this reader's records.
 */
export function copySpace(span: number): Uint8Array<ArrayBuffer> {
  return Buffer.allocUnsafeSlow(span) as Uint8Array<ArrayBuffer>;
}
