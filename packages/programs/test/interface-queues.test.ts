import { execFileSync } from 'node:child_process';
import { describeKernel, LoopbackNetns, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InterfaceNotFoundError, ifindex, inNetns, interfaceQueues } from '../src/index.js';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

describeKernel('interfaceQueues', () => {
  const id = process.pid % 100000;
  const host = `qa${id}`;
  beforeAll(() => {
    // 3 RX and 2 TX queues (its peer, named by the kernel, gets the defaults)
    ip('link', 'add', host, 'numrxqueues', '3', 'numtxqueues', '2', 'type', 'veth');
    ip('link', 'set', host, 'down');
  });
  afterAll(() => {
    ip('link', 'del', host);
  });

  it('counts the allocated queues, and the queues in use while the interface is up', () => {
    const before = openFds();
    // down: the kernel lists no queue in use
    expect(interfaceQueues(host)).toEqual({
      ifindex: ifindex(host),
      rx: undefined,
      tx: undefined,
      rxAllocated: 3,
      txAllocated: 2,
    });
    ip('link', 'set', host, 'up');
    try {
      const up = { ifindex: ifindex(host), rx: 3, tx: 2, rxAllocated: 3, txAllocated: 2 };
      expect(interfaceQueues(host)).toEqual(up);
      expect(interfaceQueues(ifindex(host))).toEqual(up);
    } finally {
      ip('link', 'set', host, 'down');
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it("looks in the calling thread's network namespace", () => {
    using ns = new LoopbackNetns('iq');
    const inside = `qn${id}`;
    ip('-n', ns.name, 'link', 'add', inside, 'numrxqueues', '4', 'numtxqueues', '6', 'type', 'veth');
    ip('-n', ns.name, 'link', 'set', inside, 'up');
    expect(inNetns(ns.path, () => interfaceQueues(inside))).toMatchObject({ rx: 4, tx: 6, rxAllocated: 4 });
    expect(() => interfaceQueues(inside)).toThrow(InterfaceNotFoundError);
  });

  it('an ifindex no interface has is InterfaceNotFoundError naming it', () => {
    const before = openFds();
    expect(() => interfaceQueues(0x7ffffff0)).toThrow(InterfaceNotFoundError);
    expect(() => interfaceQueues(0x7ffffff0)).toThrow(/no network interface with ifindex 2147483632 in this/);
    expect(() => interfaceQueues('nosuchif0')).toThrow(/'nosuchif0'/);
    expect(leakedFds(before)).toEqual([]);
  });
});
