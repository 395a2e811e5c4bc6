/** Bytes passed to one `String.fromCharCode` call (its arguments live on the stack). */
const ASCII_CHUNK = 4096;

/**
 * `bytes[start, end)` as a string of one char per byte when every byte is ASCII, else null (for
 * the caller to decode as UTF-8). Built straight from the bytes, a chunk per call: neither a
 * string per character nor a copy of the bytes into an array.
 */
export function asciiText(bytes: Uint8Array, start = 0, end = bytes.length): string | null {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return null;
  let text = '';
  for (let i = start; i < end; i += ASCII_CHUNK)
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + ASCII_CHUNK)) as unknown as number[],
    );
  return text;
}
