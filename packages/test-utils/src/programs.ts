/**
 * Small test programs, written with `@ts-ebpf/dsl` and encoded for the running kernel.
 */
import { assemble, bpf, type Instruction } from '@ts-ebpf/dsl';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';

/** Encodes dsl instructions in the byte order of the running kernel. */
export function hostCode(insns: readonly Instruction[]): Uint8Array {
  return assemble(insns, { endian: HOST_BYTE_ORDER });
}

/** `r0 = imm; exit`, encoded. */
export function returns(imm: number): Uint8Array {
  return hostCode(bpf`r0 = ${imm}; exit`);
}

/** A program that adds 1 to slot 0 of a u64 array map (`mapFd`), then returns `ret`; encoded. */
export function counterProgram(mapFd: number, ret = 0): Uint8Array {
  return hostCode(bpf`
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = map[fd:${mapFd}]
    call bpf_map_lookup_elem
    if r0 == 0 goto +2
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    r0 = ${ret}
    exit`);
}
