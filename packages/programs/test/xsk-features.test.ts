import { execFileSync } from 'node:child_process';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InterfaceNotFoundError, ifindex, interfaceXskFeatures } from '../src/index.js';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

describeKernel('interfaceXskFeatures', () => {
  const host = `xf${process.pid % 100000}`;
  beforeAll(() => {
    ip('link', 'add', host, 'type', 'veth');
  });
  afterAll(() => {
    ip('link', 'del', host);
  });

  it('reads the xsk-features the netdev family lists: none for veth and lo (no zero-copy TX metadata)', () => {
    const before = openFds();
    // Linux 6.8 and later list the attribute for every device, 0 for a driver without the offloads
    expect(interfaceXskFeatures(host)).toBe(0);
    expect(interfaceXskFeatures(ifindex(host))).toBe(0);
    expect(interfaceXskFeatures('lo')).toBe(0);
    expect(leakedFds(before)).toEqual([]);
  });

  it('an interface the namespace lacks is InterfaceNotFoundError naming it', () => {
    expect(() => interfaceXskFeatures('nosuchif0')).toThrow(InterfaceNotFoundError);
    expect(() => interfaceXskFeatures(0x7ffffff0)).toThrow(/ifindex 2147483632/);
  });
});
