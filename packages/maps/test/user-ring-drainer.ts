/**
 * The user ring buffer's consumer for tests: a sleepable syscall program draining it with
 * bpf_user_ringbuf_drain. Apart from programs.ts because its BTF comes from the package-internal
 * btfBlob, and programs.ts (also imported by bench/ring.bench.ts, which runs on the built package)
 * imports the package only by its name.
 */
import { bpf } from '@ts-ebpf/dsl';
import { BpfProgType, btfLoad, close, progLoad, progTestRun } from '@ts-ebpf/syscall';
import { hostCode } from '@ts-ebpf/test-utils';
import { btfBlob } from '../src/btf-blob.js';

const BTF_FUNC = 12;
const BTF_FUNC_PROTO = 13;

/** BTF for a program with two static functions (main and a callback), with their func_info. */
function twoFuncBtf(callbackInsn: number): { btf: Uint8Array; funcInfo: Uint8Array } {
  // biome-ignore format: one BTF type record per line
  const types = new Uint32Array([
    1, 1 << 24, 4, (1 << 24) | 32, // [1] int
    0, BTF_FUNC_PROTO << 24, 1, // [2] int (void)
    5, BTF_FUNC << 24, 2, // [3] static main
    10, BTF_FUNC << 24, 2, // [4] static cb
  ]);
  const btf = btfBlob(types, '\0int\0main\0cb\0');
  return { btf, funcInfo: new Uint8Array(new Uint32Array([0, 3, callbackInsn, 4]).buffer) };
}

/**
 * A sleepable BPF_PROG_TYPE_SYSCALL program that drains a user ring buffer with
 * bpf_user_ringbuf_drain; its callback reads each sample's first u64 and adds it to
 * counters[0].seq, counting samples in counters[0].drops. Returns the drained count.
 */
export function loadUserRingDrainer(urbFd: number, countersFd: number): number {
  const cbStart = 2 + 2 + 3 + 1; // slots of main
  const insns = hostCode(bpf`
    r1 = map[fd:${urbFd}]
    r2 = func[cb] // ld_imm64 with BPF_PSEUDO_FUNC
    r3 = 0
    r4 = 0
    call bpf_user_ringbuf_drain
    exit
  cb:
    r6 = r1
    r1 = r10
    r1 += -8
    r2 = 8
    r3 = r6
    r4 = 0
    r5 = 0
    call bpf_dynptr_read
    if r0 != 0 goto out
    r7 = *(u64 *)(r10 - 8)
    *(u32 *)(r10 - 12) = 0
    r2 = r10
    r2 += -12
    r1 = map[fd:${countersFd}]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    lock *(u64 *)(r0 + 0) += r7
    r1 = 1
    lock *(u64 *)(r0 + 8) += r1
  out:
    r0 = 0
    exit`);
  const { btf, funcInfo } = twoFuncBtf(cbStart);
  const btfFd = btfLoad({ btf, logSize: 0 });
  try {
    return progLoad({
      progType: BpfProgType.SYSCALL,
      insns,
      progFlags: 1 << 4, // BPF_F_SLEEPABLE
      progBtfFd: btfFd,
      funcInfo,
      funcInfoRecSize: 8,
      logLevel: 1,
      logSize: 1 << 20,
    });
  } finally {
    close(btfFd);
  }
}

/** Runs a syscall program once (test-run with an empty context). */
export function runSyscall(progFd: number): number {
  return progTestRun({ progFd }).retval | 0;
}
