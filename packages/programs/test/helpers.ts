import { BpfMapType, close, mapCreate, mapLookupElem, mapUpdateElem } from '@ts-ebpf/syscall';
import { counterProgram } from '@ts-ebpf/test-utils';

export { returns } from '@ts-ebpf/test-utils';

/** A one-slot u64 array map used as a counter. */
export class Counter implements Disposable {
  readonly fd = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });

  /** The counting program's code, returning `ret`. */
  code(ret = 0): Uint8Array {
    return counterProgram(this.fd, ret);
  }

  get value(): bigint {
    const v = new Uint8Array(8);
    mapLookupElem(this.fd, new Uint8Array(4), v);
    return new DataView(v.buffer).getBigUint64(0, true);
  }

  reset(): void {
    mapUpdateElem(this.fd, new Uint8Array(4), new Uint8Array(8));
  }

  [Symbol.dispose](): void {
    close(this.fd);
  }
}

/** Waits until `check()` is true (polling), or throws after `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
