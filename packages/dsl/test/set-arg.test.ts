import { EbpfError } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { format, mov, R1, R2, setArg } from '../src/index.js';

class SampleArgumentError extends EbpfError {
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
  }
}
const sample = (name: string, message: string) => new SampleArgumentError(name, message);

describe('setArg (plugin API)', () => {
  it('moves a register or a 32-bit immediate into the argument register, nothing for itself', () => {
    expect(setArg(R1, R1, 'flags', sample)).toEqual([]);
    expect(setArg(R1, R2, 'flags', sample)).toEqual([mov(R1, R2)]);
    expect(format(setArg(R2, -(2 ** 31), 'flags', sample))).toBe(format([mov(R2, -(2 ** 31))]));
    expect(format(setArg(R2, 2 ** 31 - 1, 'flags', sample))).toBe(format([mov(R2, 2 ** 31 - 1)]));
  });

  it("throws the plugin's own error, naming the argument, for a constant that is not a signed 32-bit integer", () => {
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN]) {
      let thrown: unknown;
      try {
        setArg(R1, bad, 'ifindex', sample);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(SampleArgumentError);
      expect((thrown as SampleArgumentError).argument).toBe('ifindex');
      expect((thrown as Error).message).toBe(`ifindex: ${bad} is not a signed 32-bit integer`);
    }
  });
});
