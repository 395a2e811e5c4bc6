import { expect } from 'vitest';

/** One way a caller may hold bytes. */
export interface ByteView {
  /** How the bytes are held, for test names. */
  readonly form: 'Buffer' | 'subarray at an odd offset' | 'plain Uint8Array';
  readonly bytes: Uint8Array;
}

/**
 * The same bytes in the three forms a public function must accept alike: a Node `Buffer`
 * (from Node's shared pool when small, so its `byteOffset` is not 0), a subarray at an
 * odd offset of a larger buffer whose other bytes are not zero, and a plain `Uint8Array`.
 */
export function byteViews(bytes: Uint8Array): ByteView[] {
  const big = new Uint8Array(bytes.length + 7).fill(0xa5);
  big.set(bytes, 3);
  return [
    { form: 'Buffer', bytes: Buffer.from(bytes) },
    { form: 'subarray at an odd offset', bytes: big.subarray(3, 3 + bytes.length) },
    { form: 'plain Uint8Array', bytes: new Uint8Array(bytes) },
  ];
}

/**
 * Runs `use` on each form of `bytes`, asserts every result equals the first, and that no
 * form's bytes (nor the bytes around the subarray) changed. Returns the first result.
 */
export function sameForEveryView<R>(bytes: Uint8Array, use: (bytes: Uint8Array) => R): R {
  const results: R[] = [];
  for (const v of byteViews(bytes)) {
    // a pooled Buffer shares its memory with unrelated Buffers: check only its own bytes
    const whole =
      v.form === 'Buffer' ? v.bytes : new Uint8Array(v.bytes.buffer, 0, v.bytes.buffer.byteLength);
    const before = whole.slice();
    results.push(use(v.bytes));
    expect(Buffer.compare(whole, before), `${v.form}: the caller's bytes were written to`).toBe(0);
  }
  for (let i = 1; i < results.length; i++) expect(results[i]).toStrictEqual(results[0]);
  return results[0]!;
}
