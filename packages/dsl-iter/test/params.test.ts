import { closeSync, mkdirSync, openSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { exit, mark, mov, R0, R7, R8 } from '@ts-ebpf/dsl';
import { close, pidfdOpen } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { type CgroupIterOrderName, IterArgumentError, iter, seqPrintf, taskDump } from '../src/index.js';
import { loadIterator } from '../src/kernel.js';

async function all<T>(g: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
}

const CGROUP_ROOT = '/sys/fs/cgroup/unified';

describeKernel('iterator parameters', () => {
  const btf = kernelBtf();

  it('task iteration by pidfd lists exactly this process', async () => {
    const { program, layout } = taskDump(btf);
    const pidfd = pidfdOpen(process.pid, 0);
    try {
      using it = loadIterator(program, { params: { pidfd } });
      const tids = (await all(it.records(layout))).map((r) => r.pid);
      expect(new Set(tids)).toEqual(new Set(readdirSync('/proc/self/task').map(Number)));
    } finally {
      close(pidfd);
    }
  });

  it('cgroup iteration in each order, compared with the cgroup ids (inode numbers) of a tree made here', async () => {
    const top = join(CGROUP_ROOT, `tsebpf-iter-${process.pid}-${Date.now()}`);
    const a = join(top, 'a');
    const b = join(top, 'b');
    const a1 = join(a, 'a1');
    for (const d of [top, a, b, a1]) mkdirSync(d);
    const id = (d: string) => statSync(d, { bigint: true }).ino;
    const s = iter(btf, 'cgroup');
    const built = s.build([
      s.loadChecked('cgroup', R7, 'out'),
      s.read(R8, R7, 'cgroup', 'kn->id'),
      seqPrintf(s, '%llu\n', [R8]),
      mark('out'),
      mov(R0, 0),
      exit(),
    ]);
    const walk = async (dir: string, order: CgroupIterOrderName) => {
      const fd = openSync(dir, 'r');
      try {
        using it = loadIterator(built, { params: { cgroupFd: fd, order } });
        return (await all(it.lines())).map(BigInt);
      } finally {
        closeSync(fd);
      }
    };
    try {
      expect(await walk(top, 'self')).toEqual([id(top)]);
      const pre = await walk(top, 'descendants-pre');
      expect(new Set(pre)).toEqual(new Set([id(top), id(a), id(b), id(a1)]));
      expect(pre[0]).toBe(id(top));
      expect(pre.indexOf(id(a))).toBeLessThan(pre.indexOf(id(a1)));
      const post = await walk(top, 'descendants-post');
      expect(post.at(-1)).toBe(id(top));
      expect(post.indexOf(id(a1))).toBeLessThan(post.indexOf(id(a)));
      const up = await walk(a1, 'ancestors-up');
      expect(up.slice(0, 3)).toEqual([id(a1), id(a), id(top)]);
      expect(up.at(-1)).toBe(id(CGROUP_ROOT));
    } finally {
      for (const d of [a1, b, a, top]) rmdirSync(d);
    }
  });

  it('parameters a target does not take, or 0 (which the kernel reads as none), are refused before the kernel', async () => {
    const tasks = taskDump(btf);
    // Before: a map's fd was read by the task iterator as a thread id, pid 0 walked every task,
    // a bpf_prog iterator ignored a pid, and a cgroup iterator without a cgroup got EINVAL.
    const refused: [typeof tasks.program, Parameters<typeof loadIterator>[1], RegExp][] = [
      [tasks.program, { params: { map: process.pid } }, /iterator 'task' parameters: map given.*tid/],
      [tasks.program, { params: { pid: 0 } }, /'pid': 0: the kernel reads 0 as no pid given/],
      [tasks.program, { params: { pid: process.pid, order: 'self' } as never }, /'order'.*not pid/],
      [
        iter(btf, 'bpf_prog').build([mov(R0, 0), exit()]),
        { params: { pid: process.pid } },
        /takes no parameters/,
      ],
      [iter(btf, 'cgroup').build([mov(R0, 0), exit()]), {}, /none given.*cgroupFd/],
    ];
    for (const [program, options, why] of refused) {
      expect(() => loadIterator(program, options)).toThrow(IterArgumentError);
      expect(() => loadIterator(program, options)).toThrow(why);
    }
    // What is taken still works: this process's threads only.
    using it = loadIterator(tasks.program, { params: { pid: process.pid } });
    const rows = await all(it.records(tasks.layout));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.tgid).toBe(process.pid);
  });
});
