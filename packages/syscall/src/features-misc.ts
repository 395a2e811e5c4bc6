import {
  BpfAluOp,
  BpfAtomicOp,
  BpfInsnClass,
  BpfInsnMode,
  BpfInsnSize,
  BpfInsnSource,
  BpfJmpOp,
  BpfProgType,
} from '@ts-ebpf/uapi';
import { BpfArgumentError } from './errors.js';
import { EXIT, encodeInsns, mov64Imm, type RawInsn } from './probe-insns.js';
import { type ProbeResult, probeLoad } from './probe-load.js';
import { progTypeNeeds } from './probe-permission.js';

// The verifier's features that are not a map, program or attach type (bpftool's "misc" probes):
// each loads a small socket filter that needs the feature, and the kernel's answer is the probe's.

const { ALU, ALU64, JMP, JMP32, ST, STX, LDX } = BpfInsnClass;
const { K, X } = BpfInsnSource;
const R0 = 0;
const R1 = 1;
const FP = 10;

/** `w<dst> = imm` (32-bit move). */
const mov32Imm = (dst: number, imm: number): RawInsn => ({ code: ALU | BpfAluOp.MOV | K, dst, imm });
/** `*(u64 *)(r10 - 8) = imm`: a stack slot to work on. */
const storeStack = (imm: number): RawInsn => ({
  code: ST | BpfInsnMode.MEM | BpfInsnSize.DW,
  dst: FP,
  off: -8,
  imm,
});

/** The largest program the kernel loads for every caller (BPF_MAXINSNS); privileged ones may be longer. */
const BPF_MAXINSNS = 4096;

// `r0 = 0` BPF_MAXINSNS times, then `exit`: one instruction past the old limit.
const LARGE = (): Uint8Array =>
  encodeInsns([...Array.from({ length: BPF_MAXINSNS }, () => mov64Imm(R0, 0)), EXIT]);

// `r0 = 0; loop: r0 += 1; if r0 != 4 goto loop; exit`: a backward jump.
const LOOP = (): Uint8Array =>
  encodeInsns([
    mov64Imm(R0, 0),
    { code: ALU64 | BpfAluOp.ADD | K, dst: R0, imm: 1 },
    { code: JMP | BpfJmpOp.JNE | K, dst: R0, imm: 4, off: -2 },
    EXIT,
  ]);

// v2: the unsigned and signed "less than" jumps (JLT, JLE, JSLT, JSLE; Linux 4.14).
const V2 = (): Uint8Array =>
  encodeInsns([
    mov64Imm(R0, 0),
    { code: JMP | BpfJmpOp.JLT | K, dst: R0, imm: 1, off: 1 },
    mov64Imm(R0, 1),
    { code: JMP | BpfJmpOp.JSLE | K, dst: R0, imm: 0, off: 1 },
    mov64Imm(R0, 0),
    EXIT,
  ]);

// v3: 32-bit jumps (the JMP32 class, Linux 5.1) and the atomic operations with fetch (Linux 5.12),
// which the compiler emits for v3 too.
const V3 = (): Uint8Array =>
  encodeInsns([
    storeStack(0),
    mov64Imm(R1, 1),
    {
      code: STX | BpfInsnMode.ATOMIC | BpfInsnSize.DW,
      dst: FP,
      src: R1,
      off: -8,
      imm: BpfAtomicOp.ADD | BpfAtomicOp.FETCH,
    },
    mov32Imm(R0, 0),
    { code: JMP32 | BpfJmpOp.JLT | K, dst: R1, imm: 2, off: 1 },
    mov32Imm(R0, 1),
    EXIT,
  ]);

// v4 (Linux 6.6): a sign-extending load, signed division and modulo (offset 1), a sign-extending
// move (offset 16), an unconditional byte swap (ALU64 END) and a jump with a 32-bit offset
// (JMP32 JA, the offset in the immediate).
const V4 = (): Uint8Array =>
  encodeInsns([
    storeStack(-1),
    { code: LDX | BpfInsnMode.MEMSX | BpfInsnSize.B, dst: R1, src: FP, off: -8 },
    { code: ALU64 | BpfAluOp.DIV | K, dst: R1, off: 1, imm: 3 },
    { code: ALU64 | BpfAluOp.MOD | K, dst: R1, off: 1, imm: 3 },
    { code: ALU64 | BpfAluOp.MOV | X, dst: R0, src: R1, off: 16 },
    { code: ALU64 | BpfAluOp.END | K, dst: R0, imm: 32 },
    { code: JMP32 | BpfJmpOp.JA, imm: 0 },
    mov64Imm(R0, 0),
    EXIT,
  ]);

/** @internal The probe programs, for tests that compare them with an independent assembler. */
export const MISC_PROBE_PROGRAMS: Readonly<Record<string, () => Uint8Array>> = Object.freeze({
  large: LARGE,
  loops: LOOP,
  v2: V2,
  v3: V3,
  v4: V4,
});

const cache = new Map<string, ProbeResult>();

// Without CAP_BPF the kernel refuses a program past BPF_MAXINSNS with E2BIG: for lack of
// privilege, not of the feature.
const LARGE_REFUSALS: ReadonlySet<string> = new Set(['EPERM', 'EACCES', 'E2BIG']);

/** The probe `name` (`probe` in messages), answered once: a probe that throws caches nothing. */
function cached(name: string, probe: string, insns: () => Uint8Array): ProbeResult {
  let result = cache.get(name);
  if (!result) {
    result = probeLoad(
      { progType: BpfProgType.SOCKET_FILTER, insns: insns() },
      probe,
      progTypeNeeds(BpfProgType.SOCKET_FILTER),
      name === 'large' ? LARGE_REFUSALS : undefined,
    );
    cache.set(name, result);
  }
  return result;
}

/**
 * Does this kernel load programs of more than 4096 instructions (BPF_MAXINSNS) for a privileged
 * caller (Linux 5.2, up to a million)? Loads one of 4097. Cached for the process.
 * @throws ProbePermissionError when this process lacks CAP_BPF (and CAP_SYS_ADMIN) and the kernel
 *   refuses the program (EPERM, EACCES, or E2BIG: the old limit still holds for it)
 */
export function probeLargeInstructions(): ProbeResult {
  return cached('large', 'probeLargeInstructions()', LARGE);
}

/**
 * Does the verifier accept bounded loops, that is backward jumps (Linux 5.3)? Loads a loop of
 * four turns. Cached for the process.
 * @throws ProbePermissionError when refused with EPERM or EACCES while this process lacks CAP_BPF
 *   (and CAP_SYS_ADMIN): lacking the privilege is not lacking the feature, and nothing is cached
 */
export function probeBoundedLoops(): ProbeResult {
  return cached('loops', 'probeBoundedLoops()', LOOP);
}

/** A version of the BPF instruction set beyond the first, as compilers name it (`-mcpu=v2`). */
export type InstructionSetVersion = 2 | 3 | 4;

const VERSIONS: Readonly<Record<InstructionSetVersion, () => Uint8Array>> = { 2: V2, 3: V3, 4: V4 };

/**
 * Does this kernel run programs compiled for instruction set `version` (clang's `-mcpu=v2`, `v3`,
 * `v4`)? Loads a program with that version's instructions:
 * - 2: the JLT, JLE, JSLT and JSLE jumps (Linux 4.14);
 * - 3: 32-bit jumps (JMP32, Linux 5.1) and atomic operations with fetch (Linux 5.12), both of
 *   which the compiler emits for v3;
 * - 4: sign-extending loads and moves, signed division and modulo, unconditional byte swaps and
 *   jumps with a 32-bit offset (Linux 6.6).
 *
 * When refused, the reason names the errno and the verifier's verdict (`EINVAL: unknown opcode d7`).
 * Cached for the process.
 * @throws BpfArgumentError for a version other than 2, 3 or 4
 * @throws ProbePermissionError when refused with EPERM or EACCES while this process lacks CAP_BPF
 *   (and CAP_SYS_ADMIN)
 */
export function probeInstructionSet(version: InstructionSetVersion): ProbeResult {
  if (version !== 2 && version !== 3 && version !== 4)
    throw new BpfArgumentError(
      'version',
      `expected 2, 3 or 4 (the first version needs no probe), got ${version}`,
    );
  return cached(`v${version}`, `probeInstructionSet(${version})`, VERSIONS[version]);
}

/** The results of the misc probes, as `features()` reports them (`misc`). */
export interface MiscFeatures {
  /** {@link probeLargeInstructions}. */
  LARGE_INSN_LIMIT: ProbeResult;
  /** {@link probeBoundedLoops}. */
  BOUNDED_LOOPS: ProbeResult;
  /** {@link probeInstructionSet}(2). */
  ISA_V2: ProbeResult;
  /** {@link probeInstructionSet}(3). */
  ISA_V3: ProbeResult;
  /** {@link probeInstructionSet}(4). */
  ISA_V4: ProbeResult;
}

/** Runs every misc probe. */
export function miscFeatures(): MiscFeatures {
  return {
    LARGE_INSN_LIMIT: probeLargeInstructions(),
    BOUNDED_LOOPS: probeBoundedLoops(),
    ISA_V2: probeInstructionSet(2),
    ISA_V3: probeInstructionSet(3),
    ISA_V4: probeInstructionSet(4),
  };
}
