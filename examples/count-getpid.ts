/**
 * Counts getpid() calls per thread with a tracepoint program assembled by
 * @ts-ebpf/dsl, a typed hash map from @ts-ebpf/maps and a link from
 * @ts-ebpf/programs. The README's "A taste" is this file.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/count-getpid.ts
 */
import { bpf } from '@ts-ebpf/dsl';
import { HashMap, u32, u64 } from '@ts-ebpf/maps';
import { attachTracepoint, Program } from '@ts-ebpf/programs';
import { BpfProgType, ensureTracefs, getpid } from '@ts-ebpf/syscall';

ensureTracefs();
// count getpid() calls per thread, keyed by thread id
using counts = HashMap.create({ key: u32, value: u64, maxEntries: 1024 });
using prog = Program.load({
  type: BpfProgType.TRACEPOINT,
  instructions: bpf`
    call bpf_get_current_pid_tgid
    *(u32 *)(r10 - 4) = r0 // the low 32 bits: the thread id
    r1 = 0
    *(u64 *)(r10 - 16) = r1
    r1 = ${counts}
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 1 // BPF_NOEXIST: insert a zero count the first time
    call bpf_map_update_elem
    r1 = ${counts}
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
  out:
    r0 = 0
    exit`,
});
{
  using _link = attachTracepoint(prog, 'syscalls', 'sys_enter_getpid');
  for (let i = 0; i < 10; i++) getpid();
}
console.log(`the main thread called getpid() ${counts.get(process.pid)} times`); // 10
