/**
 * ts-ebpf demo: assembles programs in TypeScript, loads them into this kernel,
 * attaches them and prints what they observe.
 *
 *   bash scripts/setup && npm run demo
 */
import { bpf, listing } from '@ts-ebpf/dsl';
import { attachRawTracepoint, attachTracepoint, Program } from '@ts-ebpf/programs';
import {
  BpfMapType,
  BpfProgType,
  close,
  ensureTracefs,
  getpid,
  kernelVersion,
  mapCreate,
  mapLookupElem,
  possibleCpuCount,
} from '@ts-ebpf/syscall';
import { XdpAction } from '@ts-ebpf/uapi';

/** Increments slot 0 of a u64 (per-CPU) array map, then returns 0. */
function counting(map: { fd: number }) {
  return bpf`
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = ${map}
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
  out:
    r0 = 0
    exit`;
}

function total(map: { fd: number }, perCpu: boolean): bigint {
  const cpus = perCpu ? possibleCpuCount() : 1;
  const value = new Uint8Array(8 * cpus);
  mapLookupElem(map.fd, new Uint8Array(4), value);
  const v = new DataView(value.buffer);
  let sum = 0n;
  for (let c = 0; c < cpus; c++) sum += v.getBigUint64(c * 8, true);
  return sum;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

console.log(
  `ts-ebpf demo on Linux ${kernelVersion().release} (${process.arch}), ${possibleCpuCount()} CPUs\n`,
);

// 1. Every system call on the machine, counted per CPU by a raw tracepoint program.
{
  const counts = {
    fd: mapCreate({
      mapType: BpfMapType.PERCPU_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
      mapName: 'sys_count',
    }),
  };
  const insns = counting(counts);
  console.log('raw_tracepoint/sys_enter program, assembled by @ts-ebpf/dsl:');
  console.log(
    listing(insns)
      .trimEnd()
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n'),
  );
  using prog = Program.load({ type: BpfProgType.RAW_TRACEPOINT, instructions: insns, name: 'count_sys' });
  const info = prog.info();
  console.log(
    `loaded as program id ${info.id}, tag ${info.tag}, ${info.xlatedProgLen / 8} instructions after verification`,
  );
  {
    using _link = attachRawTracepoint(prog, 'sys_enter');
    let last = 0n;
    for (let i = 1; i <= 5; i++) {
      await sleep(200);
      const now = total(counts, true);
      console.log(`  after ${i * 200} ms: ${now} system calls (+${now - last})`);
      last = now;
    }
  }
  close(counts.fd);
}

// 2. This process's getpid() calls, through the syscalls/sys_enter_getpid tracepoint.
{
  ensureTracefs();
  const counter = {
    fd: mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, mapName: 'getpid' }),
  };
  using prog = Program.load({
    type: BpfProgType.TRACEPOINT,
    instructions: counting(counter),
    name: 'count_getpid',
  });
  {
    using _link = attachTracepoint(prog, 'syscalls', 'sys_enter_getpid');
    for (let i = 0; i < 1000; i++) getpid();
  }
  console.log(
    `\ntracepoint syscalls/sys_enter_getpid saw ${total(counter, false)} calls after this process made 1000`,
  );
  close(counter.fd);
}

// 3. An XDP program that drops IPv6 (EtherType 0x86dd) and passes the rest, test-run on two packets.
{
  using xdp = Program.load({
    type: BpfProgType.XDP,
    name: 'drop_ipv6',
    instructions: bpf`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r0 = ${XdpAction.PASS}
      r4 = r2
      r4 += 14
      if r4 > r3 goto done
      r5 = *(u16 *)(r2 + 12)
      if r5 != 0xdd86 goto done
      r0 = ${XdpAction.DROP}
    done:
      exit`,
  });
  const frame = (etherType: number) => {
    const f = new Uint8Array(64);
    f[12] = etherType >> 8;
    f[13] = etherType & 0xff;
    return f;
  };
  const name = (r: number) =>
    r === XdpAction.PASS ? 'XDP_PASS' : r === XdpAction.DROP ? 'XDP_DROP' : String(r);
  const v4 = xdp.testRun({ data: frame(0x0800), repeat: 1000 });
  const v6 = xdp.testRun({ data: frame(0x86dd), repeat: 1000 });
  console.log(
    `\nxdp drop_ipv6: IPv4 frame -> ${name(v4.retval)}, IPv6 frame -> ${name(v6.retval)} (${v6.duration} ns per run)`,
  );
}
