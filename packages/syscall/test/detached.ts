/** A Uint8Array of `size` bytes on a detached (transferred) ArrayBuffer: its length reads 0. */
export function detached(size = 8): Uint8Array {
  const b = new Uint8Array(size);
  structuredClone(b.buffer, { transfer: [b.buffer] });
  return b;
}
