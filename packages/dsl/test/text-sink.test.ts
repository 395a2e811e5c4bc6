// The text sink behind format: digits and hex written straight into the buffer, and the two ways
// it turns ASCII into a string (Node's Latin-1 copy, or UTF-8 decoding where there is no Node).
import { afterEach, describe, expect, it, vi } from 'vitest';

type SinkModule = typeof import('../src/text-sink.js');

let loads = 0;

/** The module evaluated afresh (a new query string), with Node's global buffer class hidden when `withoutNode`. */
async function load(withoutNode: boolean): Promise<SinkModule> {
  if (withoutNode) vi.stubGlobal('Buffer', undefined);
  loads += 1;
  return (await import(/* @vite-ignore */ `../src/text-sink.js?load=${loads}`)) as SinkModule;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const NUMBERS = [
  0,
  1,
  9,
  10,
  99,
  100,
  12345,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53,
  1.5,
  -0,
  -7,
];

describe.each([false, true])('TextSink (runtime without Node: %s)', (withoutNode) => {
  it('writes integers as String() does, short and long texts alike', async () => {
    const { TextSink } = await load(withoutNode);
    for (const capacity of [1, 300, 4096]) {
      const w = new TextSink(capacity);
      for (const n of NUMBERS) {
        w.reserve();
        w.int(n);
        w.int(-n);
        w.char(32);
      }
      const want = NUMBERS.map((n) => `${String(n)}${String(-n)} `).join('');
      expect(w.toString()).toBe(want);
    }
  });

  it('writes 64-bit hex without leading zeros', async () => {
    const { TextSink } = await load(withoutNode);
    const cases: [number, number, string][] = [
      [0, 0, '0'],
      [0, 0xf, 'f'],
      [0, 0xffffffff, 'ffffffff'],
      [1, 0, '100000000'],
      [0x12345678, 0x9abcdef, '1234567809abcdef'],
      [0xffffffff, 0xffffffff, 'ffffffffffffffff'],
    ];
    for (const [high, low, text] of cases) {
      const w = new TextSink(2);
      w.reserve();
      w.hex64(high, low);
      expect(w.toString()).toBe(text);
    }
  });

  it('turns a large ASCII text and a non-ASCII one into the same string as UTF-8 decoding', async () => {
    const { TextSink } = await load(withoutNode);
    const line = 'r1 = *(u32 *)(r2 + 4)\n';
    const w = new TextSink(16);
    for (let k = 0; k < 20000; k++) w.text(line);
    expect(w.toString()).toBe(line.repeat(20000));
    w.reset();
    w.text('größe_😀:\n');
    w.text(line.repeat(100));
    expect(w.toString()).toBe(`größe_😀:\n${line.repeat(100)}`);
  });

  it('refuses a literal that is not ASCII', async () => {
    const { asciiBytes } = await load(withoutNode);
    expect(asciiBytes(' += ')).toEqual(new Uint8Array([32, 43, 61, 32]));
    expect(() => asciiBytes('größe')).toThrow(/größe/);
  });
});
