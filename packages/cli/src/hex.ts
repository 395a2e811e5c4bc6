import type { Args } from './args.js';

/** Each byte as bpftool's JSON writes it: `"0x0a"`. */
export function hexBytes(bytes: Uint8Array): string[] {
  return Array.from(bytes, (b) => `0x${b.toString(16).padStart(2, '0')}`);
}

/** Bytes as `0a 00 ff …`, 16 per line, each line starting with its offset. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.byteLength; at += 16) {
    const row = Array.from(bytes.subarray(at, at + 16), (b) => b.toString(16).padStart(2, '0'));
    lines.push(`${at.toString(16).padStart(6, '0')}: ${row.join(' ')}`);
  }
  return lines.join('\n');
}

/** Bytes on one line: `0a 00 ff`. */
export function hexLine(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** One byte in C notation (`0x1f`, `31`, `037`), as bpftool reads `key 0x01 0x00 …`. */
function cByte(text: string): number | undefined {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = Number.parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) n = Number.parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) n = Number.parseInt(text, 10);
  else return undefined;
  return n <= 0xff ? n : undefined;
}

/**
 * Reads the bytes after a `key` or `value` keyword, up to the next word in `stop` or the end:
 * one byte per argument in C notation (`0x01 0 255`), or after `hex`, hex digits two per byte
 * (`hex 01 00 00 00` or `hex 01000000`).
 * @param what - `'key'` or `'value'`, for errors
 * @throws UsageError for a malformed byte, or no bytes at all
 */
export function readBytes(args: Args, what: string, stop: readonly string[]): Uint8Array {
  const hex = args.take('hex');
  const out: number[] = [];
  while (!args.done && !stop.includes(args.peek()!)) {
    const text = args.next(`${what} bytes`);
    if (hex) {
      if (!/^([0-9a-fA-F]{2})+$/.test(text))
        throw args.error(`${what}: '${text}' is not hex bytes (two hex digits per byte)`);
      for (let i = 0; i < text.length; i += 2) out.push(Number.parseInt(text.slice(i, i + 2), 16));
    } else {
      const b = cByte(text);
      if (b === undefined)
        throw args.error(`${what}: '${text}' is not a byte (0 to 255, 0x00 to 0xff, or octal 0 to 0377)`);
      out.push(b);
    }
  }
  if (out.length === 0) throw args.error(`missing the ${what} bytes`);
  return Uint8Array.from(out);
}

/**
 * Checks that `bytes` has one of the lengths the map takes.
 * @throws UsageError naming both lengths
 */
export function checkLength(args: Args, what: string, bytes: Uint8Array, sizes: readonly number[]): void {
  if (sizes.includes(bytes.byteLength)) return;
  throw args.error(`${what} has ${bytes.byteLength} bytes; this map takes ${sizes.join(' or ')}`);
}
