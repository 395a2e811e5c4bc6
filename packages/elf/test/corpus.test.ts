import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PerfBuffer, RingBuffer } from '@ts-ebpf/maps';
import {
  type IterLink,
  inNetns,
  kprobeUnsupportedReason,
  NfInetHook,
  tracingUnsupportedReason,
} from '@ts-ebpf/programs';
import { close, getpid, kernelVersion, pidfdOpen, possibleCpuCount } from '@ts-ebpf/syscall';
import { describeKernel, itIfSupported, socketFd } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collection, loadCollection, readKernelConfig } from '../src/index.js';
import { CorpusBuild } from './corpus/build.js';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);
const readU64 = (b: Uint8Array | undefined, at = 0) =>
  new DataView(b!.buffer, b!.byteOffset, b!.byteLength).getBigUint64(at, true);
/** Sums a per-CPU value: a RawMap of a per-CPU type yields one Uint8Array per CPU (despite its type). */
const perCpuSum = (values: unknown) => (values as Uint8Array[]).reduce((n, b) => n + readU64(b), 0n);
const v = (c: Collection, name: string) => c.variable(name).getBigInt();
const text = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\0.*$/s, '');
const getppidTimes = (n: number) => {
  for (let i = 0; i < n; i++) void process.ppid; // uv_os_getppid: a real getppid() each time
};

const tag = `ts-ebpf-corpus-${process.pid}`;
const cgroup = `/sys/fs/cgroup/unified/${tag}`;
const pinRoot = `/sys/fs/bpf/${tag}`;
const netnsName = tag;
const netnsPath = `/run/netns/${netnsName}`;
const port = 20000 + (process.pid % 20000);

/** Node code a child runs: a UDP send and a TCP connection to a listener of its own, on `port`. */
const trafficScript = `
const dgram = require('node:dgram'), net = require('node:net');
const server = net.createServer((s) => s.on('data', () => {}).on('end', () => s.end()));
server.listen(${port}, '127.0.0.1', () => {
  const u = dgram.createSocket('udp4');
  u.send('ping', ${port}, '127.0.0.1', () => {
    u.close();
    const c = net.connect(${port}, '127.0.0.1', () => c.end('hello'));
    c.on('close', () => server.close(() => process.exit(0)));
  });
});
setTimeout(() => process.exit(3), 5000);
`;

/** Runs `fn` with a connected loopback TCP pair (client, accepted peer), then closes both. */
async function withTcpPair(fn: (client: Socket, peer: Socket) => Promise<void>): Promise<void> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const peer = await accepted;
  try {
    await fn(client, peer);
  } finally {
    client.destroy();
    peer.destroy();
    await new Promise((r) => server.close(r));
  }
}

let build: CorpusBuild;
const objects = new Map<string, Uint8Array>();
let targetBinary = '';

describeKernel('corpus: clang-compiled objects loaded, attached and run', () => {
  beforeAll(() => {
    build = new CorpusBuild();
    targetBinary = build.uprobeTarget();
    for (const name of ['tracing', 'maps', 'net', 'iter', 'unsupported', 'ksym'])
      objects.set(name, build.object(`${name}.bpf.c`));
    objects.set('uprobe', build.object('uprobe.bpf.c', { defines: { TARGET_BINARY: `"${targetBinary}"` } }));
    mkdirSync(cgroup, { recursive: true });
    mkdirSync(pinRoot, { recursive: true });
    execFileSync('ip', ['netns', 'add', netnsName]);
    execFileSync('ip', ['-n', netnsName, 'link', 'set', 'lo', 'up']);
  }, 60_000);

  afterAll(() => {
    build?.cleanup();
    rmSync(pinRoot, { recursive: true, force: true });
    try {
      rmdirSync(cgroup);
    } catch {}
    try {
      execFileSync('ip', ['netns', 'delete', netnsName], { stdio: 'ignore' });
    } catch {}
  });

  it('vmlinux.h comes from our own dumpC', () => {
    expect(build.vmlinuxSource).toBe('dumpC');
  });

  it('tracing sections, CO-RE, kconfig, global data, subprograms and kfuncs', () => {
    using c = loadCollection(objects.get('tracing')!, {
      constants: { target_pid: process.pid, tp_bonus: 3 },
    });
    expect([...c.spec.dataSections.keys()].sort()).toEqual([
      '.bss',
      '.data',
      '.data.custom',
      '.rodata',
      '.rodata.str1.1',
    ]);
    expect(Number(v(c, 'target_pid'))).toBe(process.pid); // .rodata rewritten through `constants`
    expect(() => c.variable('target_pid').set(1)).toThrow(/read-only/);
    expect(v(c, 'tp_bonus')).toBe(3n);
    expect(v(c, 'custom_counter')).toBe(1000n);
    const links = c.attach();
    expect(links.map((l) => l.kind).sort()).toEqual([
      'raw_tracepoint',
      'tracepoint',
      'tracepoint',
      'tracing',
    ]);
    for (let i = 0; i < 5; i++) getpid();
    getppidTimes(3);
    // Detached before reading, so that the counters read below are one consistent snapshot.
    for (const link of links) link.close();
    // Other threads of this process (libuv, the vitest worker) may make the same calls: at least, not exactly.
    const hits = v(c, 'tp_hits'); // tracepoint + a static subprogram adding the rewritten .rodata bonus
    expect(hits).toBeGreaterThanOrEqual(15n);
    expect(hits % 3n).toBe(0n);
    expect(v(c, 'tp_short_hits')).toBeGreaterThanOrEqual(3n); // tp/
    expect(v(c, 'raw_hits')).toBeGreaterThanOrEqual(3n); // raw_tp/
    expect(v(c, 'btf_hits')).toBeGreaterThanOrEqual(3n); // tp_btf/
    expect(v(c, 'custom_counter')).toBe(1000n + (hits / 3n) * 2n); // .data.custom, via a global subprogram
    // CO-RE on task_struct
    expect(Number(v(c, 'seen_pid'))).toBe(process.pid);
    expect(Number(v(c, 'seen_tgid'))).toBe(process.pid);
    expect(Number(v(c, 'seen_ppid'))).toBe(process.ppid);
    expect(v(c, 'reset_on_fork')).toBe(0n); // a 1-bit bitfield, 0 for node
    expect(v(c, 'has_pid_field')).toBe(1n);
    expect(v(c, 'has_nope_field')).toBe(0n);
    expect(v(c, 'ringbuf_enum')).toBe(27n); // BPF_MAP_TYPE_RINGBUF
    expect(v(c, 'missing_enum')).toBe(0n);
    // kconfig
    expect(v(c, 'hz')).toBe(BigInt(readKernelConfig().get('CONFIG_HZ')!));
    expect(v(c, 'version')).toBe(BigInt(kernelVersion().code));
    expect(v(c, 'weak_missing')).toBe(0n);
    // strings and kfuncs
    const comm = text(c.variable('comm').get());
    expect(comm).toBe(readFileSync('/proc/self/comm', 'utf8').trim());
    expect(text(c.variable('greeting').get())).toBe('hello!');
    expect(Number(v(c, 'kfunc_pid'))).toBe(process.pid); // bpf_task_from_pid kfunc
    expect(Number(v(c, 'ksym_ok'))).toBe(1); // bpf_get_current_task_btf
  });

  describe('corpus: maps of every kind', () => {
    it('creates every BTF map kind and runs a program that uses them all', () => {
      const bytes = objects.get('maps')!;
      using c = loadCollection(bytes, { constants: { target_pid: process.pid }, pinRoot });
      c.map('m_lpm').set(new Uint8Array([24, 0, 0, 0, 10, 0, 0, 0]), u32(77)); // 10.0.0.0/24
      c.map('m_queue').pushRaw(u32(5));
      c.map('m_queue').pushRaw(u32(6));
      c.map('m_stack').pushRaw(u32(5));
      c.map('m_stack').pushRaw(u32(6));
      c.map('m_bloom').pushRaw(u32(42));
      using ring = RingBuffer.open(c.map('m_ringbuf'));
      using perf = PerfBuffer.open(c.map('m_perf'));

      // a perf_event_array without max_entries gets one slot per possible CPU, as in libbpf
      expect(c.map('m_perf').maxEntries).toBe(possibleCpuCount());

      const xdp = c.program('exercise');
      expect(xdp.testRun({ data: new Uint8Array(64) }).retval).toBe(3); // XDP_TX from the tail call
      expect(xdp.testRun({ data: new Uint8Array(64) }).retval).toBe(3);
      expect(v(c, 'tail_runs')).toBe(2n);
      for (const m of ['m_hash', 'm_array', 'm_lru', 'm_pinned'])
        expect(readU64(c.map(m).get(u32(1)))).toBe(2n);
      for (const m of ['m_percpu_hash', 'm_percpu_array', 'm_lru_percpu'])
        expect(perCpuSum(c.map(m).get(u32(1)))).toBe(2n);
      expect(v(c, 'lpm_value')).toBe(77n);
      expect(v(c, 'popped_queue')).toBe(6n); // FIFO: 5 went first, then 6
      expect(v(c, 'popped_stack')).toBe(5n); // LIFO: 6 went first, then 5
      expect(v(c, 'bloom_hit')).toBe(1n);
      expect(v(c, 'bloom_miss')).toBe(0n);
      const records = ring.read();
      expect(records.map((r) => [...new Uint32Array(r.slice().buffer)])).toEqual([
        [1, 0xabcd],
        [1, 0xabcd],
      ]);
      const events = perf.read();
      expect(events.length).toBe(2);
      expect([...new Uint32Array(events[0]!.slice().buffer, 0, 2)]).toEqual([2, 0x1234]);

      // map-in-map initial values: slot 1 of the array holds inner_a, slot 0 of the hash inner_b
      expect(readU64(c.map('inner_a').get(u32(0)))).toBe(2n);
      expect(readU64(c.map('inner_b').get(u32(0)))).toBe(20n);
      expect(c.map('m_array_of_maps').get(u32(0))).toBeUndefined();

      // task storage with BTF, from a tp_btf program
      c.attach({}, ['task_store']);
      getppidTimes(4);
      // read back from user space, keyed by a pidfd of this process (its main thread)
      const pidfd = pidfdOpen(process.pid, 0);
      try {
        expect(readU64(c.map('m_task_storage').get(u32(pidfd)))).toBeGreaterThanOrEqual(4n);
      } finally {
        close(pidfd);
      }
      expect(v(c, 'storage_value')).toBeGreaterThanOrEqual(1n);

      // pinned by name: a second load reuses the pinned map
      using again = loadCollection(bytes, { pinRoot, programs: ['tail_target'] });
      expect(readU64(again.map('m_pinned').get(u32(1)))).toBe(2n);
      expect(readFileSync(`${pinRoot}/m_pinned`).byteLength).toBeGreaterThanOrEqual(0);
    });
  });

  describe('corpus: networking sections', () => {
    const ipv4Udp = () => {
      const p = new Uint8Array(64);
      p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0); // Ethernet, IPv4
      p.set([0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1], 14);
      p.set([0x4e, 0x20, 0x4e, 0x21, 0, 30, 0, 0], 34);
      return p;
    };

    it('tc, socket filter and flow dissector run with BPF_PROG_TEST_RUN', () => {
      using c = loadCollection(objects.get('net')!, { programs: ['tc_count', 'socket_count', 'dissect'] });
      expect(c.program('tc_count').testRun({ data: ipv4Udp() }).retval).toBe(0);
      expect(c.program('tc_count').testRun({ data: new Uint8Array(1500) }).retval).toBe(2);
      expect(v(c, 'tc_runs')).toBe(2n);
      expect(c.program('socket_count').testRun({ data: ipv4Udp() }).retval).toBe(50); // skb->len after the Ethernet header
      expect(v(c, 'socket_runs')).toBe(1n);
      expect(c.program('dissect').testRun({ data: ipv4Udp() }).retval).toBe(0);
      expect(v(c, 'dissect_runs')).toBe(1n);
      expect(v(c, 'last_dissect_proto')).toBe(0x0800n);
    });

    it('cgroup_skb, cgroup sock_addr and sockops (with sk_storage) see a child in a test cgroup', () => {
      using c = loadCollection(objects.get('net')!, {
        constants: { watch_port: port },
        programs: ['egress_count', 'on_sendmsg4', 'on_sockops'],
      });
      c.attach({ cgroup });
      execFileSync(
        'sh',
        ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec "$0" -e "$1"`, process.execPath, trafficScript],
        {
          timeout: 10_000,
        },
      );
      expect(v(c, 'sendmsg4_runs')).toBe(1n);
      expect(v(c, 'skb_egress')).toBeGreaterThanOrEqual(3n);
      expect(v(c, 'sockops_runs')).toBeGreaterThanOrEqual(2n);
      expect(v(c, 'sockops_storage')).toBe(1n);
    });

    it('sk_lookup, netfilter, tcx and flow_dissector attach in a test netns', () => {
      using c = loadCollection(objects.get('net')!, {
        constants: { watch_port: port },
        programs: ['on_lookup', 'on_netfilter', 'tc_count', 'dissect'],
      });
      c.attach({ netns: netnsPath }, ['on_lookup', 'dissect']);
      inNetns(netnsPath, () => {
        c.attach({ netfilter: { hook: NfInetHook.LOCAL_OUT }, interface: 'lo' }, [
          'on_netfilter',
          'tc_count',
        ]);
      });
      execFileSync('ip', ['netns', 'exec', netnsName, process.execPath, '-e', trafficScript], {
        timeout: 10_000,
      });
      expect(v(c, 'lookup_runs')).toBeGreaterThanOrEqual(2n); // the UDP datagram and the TCP SYN
      expect(v(c, 'netfilter_runs')).toBeGreaterThanOrEqual(3n);
      expect(v(c, 'tc_runs')).toBeGreaterThanOrEqual(3n); // lo ingress
    });

    it('xdp attaches to a veth in the test netns and sees the ARP it sends', async () => {
      using c = loadCollection(objects.get('net')!, { programs: ['xdp_count'] });
      const ip = (...args: string[]) => execFileSync('ip', ['-n', netnsName, ...args]);
      ip('link', 'add', 'corpus-a', 'type', 'veth', 'peer', 'name', 'corpus-b');
      ip('addr', 'add', '10.99.0.1/24', 'dev', 'corpus-a');
      ip('link', 'set', 'corpus-a', 'up');
      ip('link', 'set', 'corpus-b', 'up');
      inNetns(netnsPath, () => c.attach({ interface: 'corpus-b' }, ['xdp_count']));
      // 10.99.0.2 has no owner: sending to it makes corpus-a ask for it with ARP, which arrives on corpus-b
      const send = `require('node:dgram').createSocket('udp4').send('x', 9, '10.99.0.2', () => process.exit(0))`;
      execFileSync('ip', ['netns', 'exec', netnsName, process.execPath, '-e', send], { timeout: 10_000 });
      for (let i = 0; i < 50 && v(c, 'xdp_arp') === 0n; i++) await new Promise((r) => setTimeout(r, 20));
      expect(v(c, 'xdp_arp')).toBeGreaterThanOrEqual(1n);
      expect(v(c, 'xdp_runs')).toBeGreaterThanOrEqual(v(c, 'xdp_arp'));
    });

    it('a socket filter attaches to a TCP socket and sees the segments it receives', async () => {
      using c = loadCollection(objects.get('net')!, { programs: ['socket_count'] });
      await withTcpPair(async (client, peer) => {
        const [link] = c.attach({ socket: socketFd(peer) }, ['socket_count']);
        const got = new Promise<string>((r) => peer.once('data', (d) => r(d.toString())));
        client.write('filtered');
        expect(await got).toBe('filtered');
        expect(v(c, 'socket_runs')).toBeGreaterThanOrEqual(1n);
        link!.close(); // detaching needs the socket: before it is closed
      });
    });

    it('a collection whose link fails to close still closes everything else', async () => {
      const c = loadCollection(objects.get('net')!, { programs: ['socket_count'] });
      const sockmap = c.map('sock_map');
      const program = c.program('socket_count');
      await withTcpPair(async (_client, peer) => {
        const [link] = c.attach({ socket: socketFd(peer) }, ['socket_count']);
        const detach = link!.close.bind(link);
        link!.close = () => {
          detach();
          throw new Error('detach failed');
        };
      });
      // one link fails to close, yet the maps and programs are closed and the error surfaces
      expect(() => c.close()).toThrow('detach failed');
      expect(sockmap.closed).toBe(true);
      expect(program.closed).toBe(true);
    });

    it('sk_msg and sk_skb run on sockets in a sockmap', async () => {
      // sock_map has key/value BTF, which the kernel refuses for sockmaps (ENOTSUPP): created without it
      using c = loadCollection(objects.get('net')!, { programs: ['on_msg', 'on_skb_verdict'] });
      const sockmap = c.map('sock_map');
      c.attach({ sockmap });
      await withTcpPair(async (client, peer) => {
        sockmap.set(u32(0), u64(BigInt(socketFd(client))));
        sockmap.set(u32(1), u64(BigInt(socketFd(peer))));
        try {
          const got = new Promise<string>((r) => peer.once('data', (d) => r(d.toString())));
          client.write('0123456789');
          expect(await got).toBe('0123456789');
          expect(v(c, 'msg_bytes')).toBe(10n);
          expect(v(c, 'skb_bytes')).toBe(10n);
        } finally {
          sockmap.delete(u32(0));
          sockmap.delete(u32(1));
        }
      });
    });
  });

  describe('corpus: uprobes, iterators, syscall programs', () => {
    it('uprobe (path from the targets) and uretprobe (path in the section) on a gcc-built binary', () => {
      using c = loadCollection(objects.get('uprobe')!);
      expect(c.spec.programs.get('on_return')!.section).toBe(`uretprobe/${targetBinary}:corpus_target`);
      c.attach({ uprobePath: targetBinary });
      expect(execFileSync(targetBinary, ['5']).toString().trim()).toBe('30');
      expect(v(c, 'calls')).toBe(5n);
      expect(v(c, 'arg_sum')).toBe(10n); // 0 + 1 + 2 + 3 + 4
      expect(v(c, 'ret_sum')).toBe(30n);
    });

    it('iter/task is read through an IterLink', () => {
      using c = loadCollection(objects.get('iter')!, { constants: { target_pid: process.pid } });
      const [link] = c.attach({}, ['dump_task']) as IterLink[];
      using reader = link!.open();
      const out = reader.text();
      expect(out).toMatch(new RegExp(`^me ${process.pid} `, 'm'));
      expect(v(c, 'tasks_seen')).toBeGreaterThan(1n);
    });

    it('a sleepable syscall program runs with BPF_PROG_TEST_RUN', () => {
      using c = loadCollection(objects.get('iter')!, { programs: ['sys_prog'] });
      const ctx = new Uint8Array(16);
      ctx.set(u32(6), 0);
      ctx.set(u32(7), 4);
      // Syscall programs take no ctx_out: the context the program wrote comes back as r.ctx.
      const r = c.program('sys_prog').testRun({ ctx });
      expect(r.retval).toBe(13);
      expect(readU64(r.ctx!, 8)).toBe(42n);
      expect(readU64(ctx, 8)).toBe(0n);
      expect(v(c, 'syscall_runs')).toBe(1n);
      expect(Number(v(c, 'syscall_pid'))).toBe(process.pid);
    });
  });

  describe('corpus: sections this machine may lack', () => {
    const kprobe = kprobeUnsupportedReason();
    const fentry = tracingUnsupportedReason('fentry');
    const lsm = tracingUnsupportedReason('lsm');

    itIfSupported('kprobe attaches and counts', kprobe, () => {
      using c = loadCollection(objects.get('unsupported')!, { programs: ['on_kprobe'] });
      c.attach();
    });
    itIfSupported('fentry loads and attaches', fentry, () => {
      using c = loadCollection(objects.get('unsupported')!, { programs: ['on_fentry'] });
      c.attach();
    });
    itIfSupported('lsm loads and attaches', lsm, () => {
      using c = loadCollection(objects.get('unsupported')!, { programs: ['on_lsm'] });
      c.attach();
    });

    it('where the probes say no, load or attach fails as the probe did', () => {
      if (kprobe) {
        using c = loadCollection(objects.get('unsupported')!, { programs: ['on_kprobe'] });
        expect(() => c.attach()).toThrow();
      }
      if (fentry)
        expect(() => loadCollection(objects.get('unsupported')!, { programs: ['on_fentry'] })).toThrow(
          /EPERM/,
        );
      if (lsm)
        expect(() => loadCollection(objects.get('unsupported')!, { programs: ['on_lsm'] })).toThrow(/EPERM/);
    });

    it('a typed data ksym needs CONFIG_KALLSYMS_ALL', () => {
      const all = readKernelConfig().get('CONFIG_KALLSYMS_ALL') === 'y';
      if (all) {
        using c = loadCollection(objects.get('ksym')!);
        c.program('read_ksym').testRun({});
      } else {
        expect(() => loadCollection(objects.get('ksym')!)).toThrow(
          /failed to find the address for kernel symbol/,
        );
      }
    });
  });
});
