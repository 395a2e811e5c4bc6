import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attachCgroup, Program, queryCgroup } from '../src/index.js';
import { Counter, returns } from './helpers.js';

const cgroup = `/sys/fs/cgroup/unified/ts-ebpf-programs-${process.pid}`;

/** Runs `script` in bash as a member of the test cgroup. */
function inCgroup(script: string): void {
  const r = spawnSync('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec bash -c '${script}'`]);
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
}

const sendUdp = (n: number) => inCgroup(`for i in $(seq ${n}); do echo x > /dev/udp/127.0.0.1/9; done`);

describeKernel('cgroup attach', () => {
  beforeAll(() => mkdirSync(cgroup, { recursive: true }));
  afterAll(() => rmdirSync(cgroup));

  it('cgroup_skb egress as a link counts packets of the cgroup, updates, and stops on close', () => {
    using c = new Counter();
    using c2 = new Counter();
    const egress = BpfAttachType.CGROUP_INET_EGRESS;
    using p = Program.load({
      type: BpfProgType.CGROUP_SKB,
      expectedAttachType: egress,
      instructions: c.code(1),
    });
    using p2 = Program.load({
      type: BpfProgType.CGROUP_SKB,
      expectedAttachType: egress,
      instructions: c2.code(1),
    });
    using link = attachCgroup(p, cgroup);
    expect(link.info()).toMatchObject({
      type: 'cgroup',
      attachType: 'CGROUP_INET_EGRESS',
      cgroupId: statSync(cgroup, { bigint: true }).ino,
    });
    expect(queryCgroup(cgroup, egress).progIds).toEqual([p.info().id]);
    sendUdp(3);
    expect(c.value).toBeGreaterThanOrEqual(3n);
    link.update(p2);
    sendUdp(2);
    expect(c2.value).toBeGreaterThanOrEqual(2n);
    link.close();
    expect(queryCgroup(cgroup, egress).progIds).toEqual([]);
    const after = c2.value;
    sendUdp(2);
    expect(c2.value).toBe(after);
  });

  it('PROG_ATTACH with multi, override and exclusive modes, query and detach', () => {
    using c = new Counter();
    const sendmsg = BpfAttachType.CGROUP_INET4_CONNECT; // bash's /dev/udp connects
    const load = () =>
      Program.load({
        type: BpfProgType.CGROUP_SOCK_ADDR,
        expectedAttachType: sendmsg,
        instructions: c.code(1),
      });
    using a = load();
    using b = load();
    using la = attachCgroup(a, cgroup, { mode: 'multi' });
    using lb = attachCgroup(b, cgroup, { mode: 'multi' });
    expect(queryCgroup(cgroup, sendmsg).progIds).toEqual([a.info().id, b.info().id]);
    sendUdp(2);
    expect(c.value).toBeGreaterThanOrEqual(4n); // both programs ran for each send
    la.close();
    expect(queryCgroup(cgroup, sendmsg).progIds).toEqual([b.info().id]);
    using b2 = load();
    lb.update(b2);
    expect(queryCgroup(cgroup, sendmsg).progIds).toEqual([b2.info().id]);
    lb.close();
    expect(queryCgroup(cgroup, sendmsg).progIds).toEqual([]);
    const after = c.value;
    sendUdp(1);
    expect(c.value).toBe(after);

    for (const mode of ['override', 'exclusive'] as const) {
      using l = attachCgroup(a, cgroup, { mode });
      expect(queryCgroup(cgroup, sendmsg)).toMatchObject({
        progIds: [a.info().id],
        attachFlags: mode === 'override' ? 1 : 0,
      });
      l.close();
    }
    expect(queryCgroup(cgroup, sendmsg).progIds).toEqual([]);
  });

  it('cgroup sock create, sock_ops and ingress programs run for the cgroup', () => {
    using c = new Counter();
    const cases: [number, number][] = [
      [BpfProgType.CGROUP_SOCK, BpfAttachType.CGROUP_INET_SOCK_CREATE],
      [BpfProgType.CGROUP_SKB, BpfAttachType.CGROUP_INET_INGRESS],
      [BpfProgType.SOCK_OPS, BpfAttachType.CGROUP_SOCK_OPS],
    ];
    for (const [type, attachType] of cases) {
      c.reset();
      using p = Program.load({ type, expectedAttachType: attachType, instructions: c.code(1) });
      using link = attachCgroup(p, cgroup);
      // A TCP connect to a closed local port: socket creation, sock_ops events, and the RST comes back in.
      inCgroup('exec 3<>/dev/tcp/127.0.0.1/1 || true');
      expect(c.value, `attach type ${attachType}`).toBeGreaterThanOrEqual(1n);
      link.close();
    }
  });

  it('a cgroup_skb program loaded without an expected attach type attaches in either direction; one loaded for ingress (0) at ingress', () => {
    const { CGROUP_INET_INGRESS: ingress, CGROUP_INET_EGRESS: egress } = BpfAttachType;
    using anyway = Program.load({ type: BpfProgType.CGROUP_SKB, instructions: returns(1) });
    expect(anyway.expectedAttachType).toBeUndefined();
    for (const attachType of [ingress, egress]) {
      using _link = attachCgroup(anyway, cgroup, { attachType });
      expect(queryCgroup(cgroup, attachType).progIds).toEqual([anyway.info().id]);
    }
    using forIngress = Program.load({
      type: BpfProgType.CGROUP_SKB,
      expectedAttachType: ingress,
      instructions: returns(1),
    });
    expect(forIngress.expectedAttachType).toBe(ingress);
    using _link = attachCgroup(forIngress, cgroup);
    expect(queryCgroup(cgroup, ingress).progIds).toEqual([forIngress.info().id]);
  });

  it('a cgroup_sock program loaded without an expected attach type records and attaches as the kernel default, sock_create', () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.CGROUP_SOCK, instructions: c.code(1) });
    expect(p.expectedAttachType).toBe(BpfAttachType.CGROUP_INET_SOCK_CREATE);
    using _link = attachCgroup(p, cgroup);
    inCgroup('exec 3<>/dev/udp/127.0.0.1/9');
    expect(c.value).toBeGreaterThanOrEqual(1n);
  });

  it('sock_ops, device and sysctl programs loaded without an expected attach type attach as their one attach type', () => {
    const { CGROUP_SOCK_OPS, CGROUP_DEVICE, CGROUP_SYSCTL } = BpfAttachType;
    const cases: [number, number][] = [
      [BpfProgType.SOCK_OPS, CGROUP_SOCK_OPS],
      [BpfProgType.CGROUP_DEVICE, CGROUP_DEVICE],
      [BpfProgType.CGROUP_SYSCTL, CGROUP_SYSCTL],
    ];
    for (const [type, attachType] of cases) {
      using p = Program.load({ type, instructions: returns(1) });
      expect(p.expectedAttachType).toBeUndefined();
      using _link = attachCgroup(p, cgroup);
      expect(queryCgroup(cgroup, attachType).progIds, `attach type ${attachType}`).toEqual([p.info().id]);
    }
    // two attach types (ingress, egress): one must be named
    using skb = Program.load({ type: BpfProgType.CGROUP_SKB, instructions: returns(1) });
    expect(() => attachCgroup(skb, cgroup)).toThrow(/needs an attach type: pass attachType/);
  });

  it('every cgroup attach type attaches as a link and with PROG_ATTACH, and shows in the query', () => {
    const A = BpfAttachType;
    const byType: [number, number[]][] = [
      [BpfProgType.CGROUP_SKB, [A.CGROUP_INET_INGRESS, A.CGROUP_INET_EGRESS]],
      [
        BpfProgType.CGROUP_SOCK,
        [
          A.CGROUP_INET_SOCK_CREATE,
          A.CGROUP_INET4_POST_BIND,
          A.CGROUP_INET6_POST_BIND,
          A.CGROUP_INET_SOCK_RELEASE,
        ],
      ],
      [BpfProgType.SOCK_OPS, [A.CGROUP_SOCK_OPS]],
      [BpfProgType.CGROUP_DEVICE, [A.CGROUP_DEVICE]],
      [BpfProgType.CGROUP_SYSCTL, [A.CGROUP_SYSCTL]],
      [BpfProgType.CGROUP_SOCKOPT, [A.CGROUP_GETSOCKOPT, A.CGROUP_SETSOCKOPT]],
      [
        BpfProgType.CGROUP_SOCK_ADDR,
        [
          A.CGROUP_INET4_BIND,
          A.CGROUP_INET6_BIND,
          A.CGROUP_INET4_CONNECT,
          A.CGROUP_INET6_CONNECT,
          A.CGROUP_UDP4_SENDMSG,
          A.CGROUP_UDP6_SENDMSG,
          A.CGROUP_UDP4_RECVMSG,
          A.CGROUP_UDP6_RECVMSG,
          A.CGROUP_INET4_GETPEERNAME,
          A.CGROUP_INET6_GETPEERNAME,
          A.CGROUP_INET4_GETSOCKNAME,
          A.CGROUP_INET6_GETSOCKNAME,
          A.CGROUP_UNIX_CONNECT,
          A.CGROUP_UNIX_SENDMSG,
          A.CGROUP_UNIX_RECVMSG,
          A.CGROUP_UNIX_GETPEERNAME,
          A.CGROUP_UNIX_GETSOCKNAME,
        ],
      ],
    ];
    for (const [type, attachTypes] of byType) {
      for (const attachType of attachTypes) {
        using p = Program.load({ type, expectedAttachType: attachType, instructions: returns(1) });
        for (const mode of ['link', 'multi'] as const) {
          const link = attachCgroup(p, cgroup, { mode });
          try {
            expect(queryCgroup(cgroup, attachType).progIds, `${attachType} ${mode}`).toEqual([p.info().id]);
          } finally {
            link.close();
          }
          expect(queryCgroup(cgroup, attachType).progIds).toEqual([]);
        }
      }
    }
  });
});
