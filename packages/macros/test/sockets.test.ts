import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { createConnection, createServer, Socket } from 'node:net';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { countingCc, defineStructOps, describeStructOps, minimalCc } from '@ts-ebpf/dsl-struct-ops';
import { MapType, u32, u64 } from '@ts-ebpf/maps';
import { BpfAttachType, BpfProgType, queryCgroup } from '@ts-ebpf/programs';
import { setsockopt, socket } from '@ts-ebpf/syscall';
import { describeKernel, socketFd } from '@ts-ebpf/test-utils';
import { AddressFamily, IpProto, SocketType, TcpSocketOption } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineMap, defineProgram, script } from '../src/index.js';
import { counter, countOf, countThenReturn, eventually } from './support.js';

const cgroup = `/sys/fs/cgroup/unified/ts-ebpf-macros-${process.pid}`;
const SK_PASS = 1;

/** Sends `n` UDP datagrams from a shell that is a member of the test cgroup. */
function sendFromCgroup(n: number): void {
  const script = `for i in $(seq ${n}); do echo x > /dev/udp/127.0.0.1/9; done`;
  const r = spawnSync('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec bash -c '${script}'`]);
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
}

describeKernel('macros: cgroup, sockmap and struct_ops', () => {
  beforeAll(() => mkdirSync(cgroup, { recursive: true }));
  afterAll(() => rmdirSync(cgroup));

  it('cgroup: cgroup_skb egress counts what the cgroup sends, and is detached on close', () => {
    const egress = defineProgram({
      maps: { counts: counter },
      type: BpfProgType.CGROUP_SKB,
      expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS,
      build: ({ counts }) => countThenReturn(counts.fd, 1),
      attach: { kind: 'cgroup', cgroup },
    });
    {
      using s = script({ programs: { egress } });
      expect(queryCgroup(cgroup, BpfAttachType.CGROUP_INET_EGRESS).progIds).toEqual([
        s.programs.egress.info().id,
      ]);
      sendFromCgroup(3);
      expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(3n);
    }
    expect(queryCgroup(cgroup, BpfAttachType.CGROUP_INET_EGRESS).progIds).toEqual([]);
  });

  it('sockmap: an sk_msg verdict on the script sockmap, named by the script, runs for TCP sends', async () => {
    const socks = defineMap({ type: MapType.SOCKMAP, key: u32, value: u32, maxEntries: 2 });
    const verdict = defineProgram({
      maps: { socks, counts: counter },
      type: BpfProgType.SK_MSG,
      build: ({ counts }) => countThenReturn(counts.fd, SK_PASS),
      attach: { kind: 'sockmap', map: 'socks' },
    });
    using s = script({ programs: { verdict } });
    expect(s.links.verdict.info()).toMatchObject({ type: 'sockmap', attachType: 'SK_MSG_VERDICT' });
    const got: Buffer[] = [];
    let accepted: Socket | undefined;
    const server = createServer((c) => {
      accepted = c;
      c.on('data', (d) => got.push(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = createConnection((server.address() as { port: number }).port, '127.0.0.1');
    try {
      await new Promise<void>((r) => client.once('connect', () => r()));
      s.maps.socks.set(0, socketFd(client));
      client.write('hello');
      await eventually(() => Buffer.concat(got).toString() === 'hello');
      expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(1n);
      s.maps.socks.delete(0);
    } finally {
      client.destroy();
      accepted?.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('struct_ops: a TCP congestion control registered by the script runs for a connection', async () => {
    const name = `mcr_cc${process.pid % 100000}`;
    const ops = describeStructOps(kernelBtf(), 'tcp_congestion_ops');
    const def = defineStructOps(ops, countingCc(ops, minimalCc(name), 'counts', ['init']));
    const programs = Object.fromEntries(
      Object.entries(def.programs).map(([member, built]) => [member, defineProgram({ build: () => built })]),
    );
    const counts = defineMap({
      type: MapType.ARRAY,
      key: u32,
      value: u64,
      maxEntries: ops.callbacks.size + ops.data.size,
    });
    const available = () => readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8');
    {
      using s = script({
        maps: { counts },
        programs,
        structOps: {
          cc: {
            type: 'tcp_congestion_ops',
            members: Object.fromEntries(Object.keys(def.programs).map((m) => [m, m])),
            fields: def.data,
          },
        },
      });
      expect(s.structOps.cc.isBpfLink).toBe(true);
      expect(available()).toContain(name);
      // A connection that selects it: its init callback runs.
      const server = createServer((c) => c.resume());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const fd = socket(AddressFamily.INET, SocketType.STREAM, 0);
      setsockopt(fd, IpProto.TCP, TcpSocketOption.CONGESTION, new TextEncoder().encode(name));
      const client = new Socket({ fd, readable: true, writable: true });
      try {
        await new Promise<void>((r) =>
          client.connect((server.address() as { port: number }).port, '127.0.0.1', r),
        );
        client.write(Buffer.alloc(1 << 16));
        const init = ops.callbacks.get('init')!.index;
        await eventually(() => (s.maps.counts.get(init) ?? 0n) >= 1n);
      } finally {
        client.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      }
    }
    expect(available()).not.toContain(name);
  });
});
