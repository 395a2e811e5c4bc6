/** The runtime's UTF-8 decoder (every JS runtime has one; the pure lib types do not declare it). */
type Utf8Decoder = { decode(bytes: Uint8Array): string };
let decoder: Utf8Decoder | undefined;
/** Strings up to this long that are ASCII are built a char at a time: cheaper than a decoder call. */
const SHORT_STRING = 64;

/** The UTF-8 text of `bytes[start, end)`. */
export function utf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_STRING) {
    let s = '';
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  }
  decoder ??= new (globalThis as unknown as { TextDecoder: new () => Utf8Decoder }).TextDecoder();
  return decoder.decode(bytes.subarray(start, end));
}
