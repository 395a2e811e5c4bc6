/** Merkle–Damgård padding shared by SHA-1 and SHA-256: 0x80, zeros, 64-bit big-endian bit length. */
export function padMessage(data: Uint8Array): DataView {
  const bitLen = data.length * 8;
  const padded = new Uint8Array(((data.length + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
  view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
  view.setUint32(padded.length - 4, bitLen >>> 0);
  return view;
}

/** The big-endian bytes of 32-bit words (a digest). */
export function wordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  words.forEach((w, i) => {
    view.setUint32(i * 4, w);
  });
  return out;
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
