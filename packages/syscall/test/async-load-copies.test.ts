/**
 * Async program loads: the kernel verifies on another thread while the caller goes on, so it must
 * read copies of the caller's buffers, made once: small inputs in the load's attr, the larger ones
 * and the log buffer by pinLoad.
 */
import { add, exit, mov, program, R0 } from '@ts-ebpf/dsl';
import { describeKernel, hostCode, returns } from '@ts-ebpf/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { Attr, inputIsCopied } from '../src/attr.js';
import { viewMemory } from '../src/ffi/memory.js';
import {
  BpfProgType,
  close,
  progLoadAsync,
  progLoadParallelAsync,
  progTestRun,
  stopHelperThreads,
} from '../src/index.js';
import { pinLoad } from '../src/pinned-load.js';

/** The bytes at the address an attr's pointer field holds. */
const pointee = (a: Attr, offset: number, length: number) =>
  new Uint8Array(viewMemory(a.getU64(offset), length)).slice();

describe('Attr.input copies every input of up to 64 KiB', () => {
  it('on a fresh attr too: the caller may change its buffer once the field is written', () => {
    const a = new Attr(16).reset();
    const small = Uint8Array.from({ length: 100 }, (_, i) => i);
    a.input(0, small);
    small.fill(0xee);
    expect(pointee(a, 0, 100)).toEqual(Uint8Array.from({ length: 100 }, (_, i) => i));
  });

  it('a request that outgrows the arena keeps every earlier copy in place', () => {
    const a = new Attr(32).reset();
    const inputs = [1, 2, 3].map((n) => new Uint8Array(40_000).fill(n));
    for (const [i, bytes] of inputs.entries()) a.input(i * 8, bytes);
    a.inputString(24, 'GPL');
    for (const bytes of inputs) bytes.fill(0);
    for (const [i, n] of [1, 2, 3].entries())
      expect(pointee(a, i * 8, 40_000)).toEqual(new Uint8Array(40_000).fill(n));
    expect(pointee(a, 24, 4)).toEqual(new TextEncoder().encode('GPL\0'));
    // the next request fits in one block, its copies right again
    a.reset().input(0, new Uint8Array(65_536).fill(9));
    expect(pointee(a, 0, 65_536)).toEqual(new Uint8Array(65_536).fill(9));
  });

  it('only inputs above 64 KiB are passed by address', () => {
    expect(inputIsCopied(65_536)).toBe(true);
    expect(inputIsCopied(65_537)).toBe(false);
    const a = new Attr(8).reset();
    const large = new Uint8Array(65_537).fill(1);
    a.input(0, large);
    large.fill(2);
    expect(pointee(a, 0, 4)).toEqual(new Uint8Array(4).fill(2));
  });
});

describe('pinLoad copies what the attr does not', () => {
  it('inputs of up to 64 KiB are left to the attr; larger ones and the log get native copies', () => {
    const small = returns(1);
    const fdArray = new Int32Array([3, 4]);
    const funcInfo = new Uint8Array(8);
    const log = new Uint8Array(100);
    const pin = pinLoad(
      { progType: BpfProgType.SOCKET_FILTER, insns: small, fdArray, funcInfo, logBuf: log },
      log,
    );
    try {
      expect(pin.load.insns).toBe(small);
      expect(pin.load.fdArray).toBe(fdArray);
      expect(pin.load.funcInfo).toBe(funcInfo);
      expect(pin.logBuf).not.toBe(log);
      expect(pin.logBuf?.byteLength).toBe(100);
    } finally {
      pin.release();
    }
    const large = new Uint8Array(65_544).fill(7);
    const pinLarge = pinLoad({ progType: BpfProgType.SOCKET_FILTER, insns: large }, undefined);
    try {
      expect(pinLarge.load.insns).not.toBe(large);
      expect(pinLarge.load.insns).toEqual(large);
      expect(pinLarge.logBuf).toBeUndefined();
    } finally {
      pinLarge.release();
    }
  });
});

describeKernel('an async load verifies the instructions given, not what the caller wrote after', () => {
  afterAll(() => stopHelperThreads());
  // r0 = 0, then r0 += 1 `adds` times, then exit: returns `adds`
  const counting = (adds: number) =>
    hostCode(program(mov(R0, 0), ...Array.from({ length: adds }, () => add(R0, 1)), exit()));
  const run = (fd: number) => progTestRun({ progFd: fd, dataIn: new Uint8Array(64) }).retval;

  it.each([
    ['small (copied into the attr)', 100],
    ['over 64 KiB (copied by pinLoad)', 10_000],
  ])('%s: instructions overwritten right after the call', async (_, adds) => {
    for (const parallel of [false, true]) {
      const insns = counting(adds);
      const load = { progType: BpfProgType.SOCKET_FILTER, insns };
      const pending = parallel ? progLoadParallelAsync([load], 1).then((r) => r[0]) : progLoadAsync(load);
      insns.set(returns(12345)); // r0 = 12345; exit, then the rest unreachable
      const fd = await pending;
      if (typeof fd !== 'number') throw fd as Error;
      try {
        expect({ parallel, retval: run(fd) }).toEqual({ parallel, retval: adds });
      } finally {
        close(fd);
      }
    }
  });
});
