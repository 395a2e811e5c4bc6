import { possibleCpuCount } from '@ts-ebpf/syscall';
import { CodecError } from '../errors.js';
import type { Codec } from './codec.js';
import { readErrorAt } from './read-path.js';

/** A codec for per-CPU values: one `T` per possible CPU, each slot 8-byte aligned. */
export interface PerCpuCodec<T> extends Codec<T[]> {
  /** Marks per-CPU codecs. */
  readonly perCpu: true;
  /** The codec of one CPU's value (its size is the map's `valueSize`). */
  readonly element: Codec<T>;
  /** Number of slots (possible CPUs). */
  readonly cpus: number;
  /** Bytes between slots: `element.size` rounded up to 8. */
  readonly stride: number;
}

/** Per-CPU values of `element`: reads give one value per possible CPU. */
export function perCpu<T>(element: Codec<T>, cpus: number = possibleCpuCount()): PerCpuCodec<T> {
  const stride = Math.ceil(element.size / 8) * 8;
  return {
    name: `percpu(${element.name})`,
    perCpu: true,
    element,
    cpus,
    stride,
    size: stride * cpus,
    align: 8,
    write(d, o, v, p, order) {
      if (!Array.isArray(v) || v.length !== cpus) {
        throw new CodecError(
          p,
          `expected one value per possible CPU (${cpus}), got ${Array.isArray(v) ? v.length : typeof v}`,
        );
      }
      for (let i = 0; i < cpus; i++) {
        const at = o + i * stride;
        element.write(d, at, v[i] as T, `${p}[cpu ${i}]`, order);
        for (let j = element.size; j < stride; j++) d.setUint8(at + j, 0);
      }
    },
    read(d, o, order) {
      const out = new Array<T>(cpus);
      for (let i = 0; i < cpus; i++) {
        try {
          out[i] = element.read(d, o + i * stride, order);
        } catch (e) {
          throw readErrorAt(e, `[cpu ${i}]`);
        }
      }
      return out;
    },
  };
}

/** True for codecs made by {@link perCpu}. */
export function isPerCpu(c: Codec<unknown>): c is PerCpuCodec<unknown> {
  return (c as Partial<PerCpuCodec<unknown>>).perCpu === true;
}

type Num = number | bigint;

/** Sum of per-CPU values (numbers or bigints). */
export function sum<T extends Num>(values: readonly T[]): T {
  let acc: Num = typeof values[0] === 'bigint' ? 0n : 0;
  for (const v of values) acc = (acc as number) + (v as number);
  return acc as T;
}

/** Largest per-CPU value. */
export function max<T extends Num>(values: readonly T[]): T {
  let best = values[0] as T;
  for (const v of values) if (v > best) best = v;
  return best;
}

/** Smallest per-CPU value. */
export function min<T extends Num>(values: readonly T[]): T {
  let best = values[0] as T;
  for (const v of values) if (v < best) best = v;
  return best;
}
