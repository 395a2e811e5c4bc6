import { mkdirSync, rmdirSync } from 'node:fs';
import {
  BpfAttachType,
  BpfMapType,
  BpfProgType,
  close,
  fileOpen,
  mapCreate,
  O,
  progQuery,
} from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attachCgroup, attachSockmap, Program, queryCgroup } from '../src/index.js';
import { returns } from './helpers.js';

const root = `/sys/fs/cgroup/unified/ts-ebpf-legacy-fds-${process.pid}`;
const [first, second] = [`${root}/a`, `${root}/b`];
const openDir = (path: string) => fileOpen(path, O.O_RDONLY | O.O_DIRECTORY);

describeKernel('programs: a legacy attachment made through a caller fd outlives that fd', () => {
  beforeAll(() => {
    mkdirSync(first, { recursive: true });
    mkdirSync(second, { recursive: true });
  });
  afterAll(() => {
    rmdirSync(first);
    rmdirSync(second);
    rmdirSync(root);
  });

  it('a cgroup PROG_ATTACH by fd detaches from its cgroup after the caller closed the fd and the number was reused', () => {
    const before = openFds();
    using p = Program.load({
      type: BpfProgType.CGROUP_SKB,
      expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS,
      instructions: returns(1),
    });
    const egress = (path: string) => queryCgroup(path, BpfAttachType.CGROUP_INET_EGRESS).progIds;
    const fd = openDir(first);
    const link = attachCgroup(p, fd, { mode: 'multi' });
    close(fd);
    const reused = openDir(second);
    try {
      expect(reused).toBe(fd);
      link.close();
      expect(egress(first)).toEqual([]);
      expect(egress(second)).toEqual([]);
    } finally {
      close(reused);
    }
    p.close();
    expect(leakedFds(before)).toEqual([]);
  });

  it('a sockmap PROG_ATTACH by fd detaches from its map after the caller closed the fd and the number was reused', () => {
    const before = openFds();
    using p = Program.load({ type: BpfProgType.SK_SKB, instructions: returns(1) });
    const newMap = () => mapCreate({ mapType: BpfMapType.SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 1 });
    const map = newMap();
    const link = attachSockmap(p, map, { via: 'attach' });
    close(map);
    const reused = newMap();
    try {
      expect(reused).toBe(map);
      link.close();
      expect(
        progQuery({ targetFd: reused, attachType: BpfAttachType.SK_SKB_STREAM_VERDICT }).progIds,
      ).toEqual([]);
    } finally {
      close(reused);
    }
    p.close();
    expect(leakedFds(before)).toEqual([]);
  });
});
