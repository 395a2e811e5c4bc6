import { assemble, bpf } from '@ts-ebpf/dsl';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';

let return0: Uint8Array | undefined;

/** A minimal `r0 = 0; exit` program, encoded for the running kernel (on first use): the body of trial loads. */
export function returnZero(): Uint8Array {
  return0 ??= assemble(bpf`r0 = 0; exit`, { byteOrder: HOST_BYTE_ORDER });
  return return0;
}
