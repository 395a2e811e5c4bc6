import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  defineStructOps,
  describeStructOps,
  minimalCc,
  type StructOpsData,
  type StructOpsDefinition,
  StructOpsMemberError,
} from '../src/index.js';
import { LoadedStructOps } from '../src/kernel.js';

const tag = process.pid % 10000;

/** Whether the kernel loads and registers `def` (a name it takes, with its data as given). */
function kernelTakes(def: StructOpsDefinition): boolean {
  try {
    using loaded = LoadedStructOps.load(def);
    loaded.register().close();
    return true;
  } catch {
    return false;
  }
}

describeKernel('struct_ops data members: refused before load exactly when the kernel refuses them', () => {
  const ops = describeStructOps(kernelBtf(), 'tcp_congestion_ops');
  const base = minimalCc(`tsod${tag}`);
  const good = defineStructOps(ops, base);
  // [member, value]: what a caller may give in data, checked by defineStructOps and by the kernel.
  const cases: [string, StructOpsData][] = [
    ['flags', 0x1],
    ['flags', 0x10],
    ['flags', 0x20],
    ['flags', 0x100],
    // The same bits given as the member's bytes (host order): checked like the number.
    ['flags', new Uint8Array(new Uint32Array([0x100]).buffer)],
    ['flags', new Uint8Array(new Uint32Array([0x1]).buffer)],
    ['key', 0],
    ['key', 7],
    ['name', `tso.d_${tag}`],
    ['name', `tso-d${tag}`],
    ['name', 'tso d'],
    ['name', ''],
    ['name', new Uint8Array(16).fill(0x61)],
  ];
  it.each(cases)('%s = %j', (member, value) => {
    const data = { ...good.data, [member]: value };
    let refused: unknown;
    try {
      defineStructOps(ops, { ...base, data });
    } catch (e) {
      refused = e;
    }
    if (refused !== undefined) expect(refused).toBeInstanceOf(StructOpsMemberError);
    expect(refused === undefined).toBe(kernelTakes({ ...good, data }));
  });

  it('values the member type cannot hold are refused naming the member', () => {
    for (const [value, why] of [
      [2 ** 33, /tcp_congestion_ops\.flags: 8589934592 is out of range for u32/],
      [1.5, /flags: 1\.5 is not an integer/],
      [-1, /out of range for u32/],
      ['1', /flags: a string for a u32: give a number/],
    ] as const) {
      expect(() => defineStructOps(ops, { ...base, data: { ...base.data, flags: value } })).toThrow(why);
    }
    expect(() => defineStructOps(ops, { ...base, data: { ...base.data, name: 5 } })).toThrow(
      /name: a number for a char\[16\]: give a string/,
    );
    expect(() => minimalCc('ts-reno')).toThrow(/'ts-reno' is not 1 to 15 letters, digits, '_' or '.'/);
  });
});
