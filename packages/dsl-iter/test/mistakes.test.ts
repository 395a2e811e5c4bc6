import { readFileSync } from 'node:fs';
import { Btf } from '@ts-ebpf/btf';
import { exit, R0, R7 } from '@ts-ebpf/dsl';
import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import {
  checkIterParameters,
  IterArgumentError,
  IterFieldError,
  IterTargetError,
  iter,
  iterLinkInfo,
  record,
  SeqFormatError,
  seqPrintf,
  seqWrite,
  UncheckedPointerError,
} from '../src/index.js';

const btf = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
const task = iter(btf, 'task');

describe('dsl-iter: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'a target that is not one',
      act: () => iter(btf, 'tasks'),
      error: IterTargetError,
      names: ["'tasks'", 'task_file'],
    },
    {
      what: 'a field the context does not have',
      act: () => task.loadChecked('file', R7, 'out'),
      error: IterFieldError,
      names: ['file', 'struct bpf_iter__task'],
    },
    {
      what: 'a field path that is not in the type',
      act: () => task.read(R0, R7, 'task', 'real_parent->tgidd'),
      error: IterFieldError,
      names: ['task->real_parent->tgidd', 'tgidd'],
    },
    {
      what: 'reading an array field into a register',
      act: () => task.read(R0, R7, 'task', 'comm'),
      error: IterFieldError,
      names: ['task->comm', 'size 16'],
    },
    {
      what: 'a load through an unchecked nullable pointer',
      act: () => task.build([task.load('task', R7), task.read(R0, R7, 'task', 'pid'), exit()]),
      error: UncheckedPointerError,
      names: ['ctx->task', 'instruction 2'],
    },
    {
      what: 'a seq_printf conversion the kernel does not know',
      act: () => seqPrintf(task, 'pid %zu\n', [R7]),
      error: SeqFormatError,
      names: ['"pid %zu\\n"', "'%z'"],
    },
    {
      what: 'fewer arguments than conversions',
      act: () => seqPrintf(task, '%d %d\n', [R7]),
      error: SeqFormatError,
      names: ['2 conversions for 1 arguments'],
    },
    {
      what: 'a seq_printf constant wider than 32 bits',
      act: () => seqPrintf(task, '%llu\n', [2 ** 40]),
      error: IterArgumentError,
      names: ['seq_printf argument 0', String(2 ** 40)],
    },
    {
      what: 'a seq_write buffer outside the stack',
      act: () => seqWrite(task, -8, 16),
      error: IterArgumentError,
      names: ['seq_write buffer', '-8'],
    },
    {
      what: 'two iterator parameters at once',
      act: () => iterLinkInfo({ pid: 1, tid: 2 } as never, 'little'),
      error: IterArgumentError,
      names: ['pid, tid'],
    },
    {
      what: 'a thread id of 0, which the kernel reads as no thread (every task)',
      act: () => iterLinkInfo({ tid: 0 }, 'little'),
      error: IterArgumentError,
      names: ["'tid'", 'no tid given'],
    },
    {
      what: 'a map-element iterator without its map',
      act: () => checkIterParameters('bpf_map_elem', undefined),
      error: IterArgumentError,
      names: ["'bpf_map_elem'", '{ map }'],
    },
    {
      what: 'a cgroup order that is not one',
      act: () => iterLinkInfo({ cgroupFd: 3, order: 'up' as never }, 'little'),
      error: IterArgumentError,
      names: ["'up'", 'ancestors-up'],
    },
    {
      what: 'a record field type that is not one',
      act: () => record({ pid: 'u24' as never }),
      error: IterArgumentError,
      names: ["record field 'pid'", 'u24'],
    },
  ]);
});
