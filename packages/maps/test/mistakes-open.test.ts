import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import {
  BpfProgType,
  close,
  dupFd,
  NotFoundError,
  PinPathError,
  pinObject,
  progLoad,
  unpin,
} from '@ts-ebpf/syscall';
import { catalog, describeKernel } from '@ts-ebpf/test-utils';
import {
  BpfMap,
  CodecError,
  HashMap,
  MapNotFoundError,
  NotAMapError,
  PerCpuArrayMap,
  PerCpuHashMap,
  PinError,
  PinNotFoundError,
  u32,
  u64,
} from '../src/index.js';
import { counts } from './mistake-maps.js';

const pinDir = '/sys/fs/bpf';
const pin = (what: string) => `${pinDir}/ts-ebpf-mistake-${what}-${process.pid}`;

// A socket filter that returns 0: a BPF object that is not a map.
function loadProgram(): number {
  const exit0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  return progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: exit0 });
}

describeKernel('map mistakes: opening and pinning (error catalog)', () => {
  catalog([
    // Opening things that are not maps.
    {
      what: 'BpfMap.fromFd of a regular file',
      act: () => {
        const fd = openSync('/proc/self/status', 'r');
        try {
          BpfMap.fromFd(fd);
        } finally {
          closeSync(fd);
        }
      },
      error: NotAMapError,
      names: [/fd \d+ is not a BPF map/, '/proc/'],
    },
    {
      what: 'BpfMap.fromFd of a program fd',
      act: () => {
        const fd = loadProgram();
        try {
          BpfMap.fromFd(fd);
        } finally {
          close(fd);
        }
      },
      error: NotAMapError,
      names: [/fd \d+ is not a BPF map/, 'bpf-prog'],
    },
    {
      what: 'BpfMap.fromFd of a closed fd',
      act: () => {
        const fd = openSync('/proc/self/status', 'r');
        closeSync(fd);
        BpfMap.fromFd(fd);
      },
      error: NotAMapError,
      names: ['not an open file descriptor'],
    },
    {
      what: 'BpfMap.fromPin of a path where nothing is pinned',
      act: () => BpfMap.fromPin(pin('missing')),
      error: PinNotFoundError,
      names: [pin('missing'), 'nothing is pinned'],
      cause: NotFoundError,
    },
    {
      what: 'BpfMap.fromPin of a pinned program',
      act: () => {
        const fd = loadProgram();
        const path = pin('prog');
        try {
          pinObject(fd, path);
          BpfMap.fromPin(path);
        } finally {
          close(fd);
          unpin(path);
        }
      },
      error: NotAMapError,
      names: [pin('prog'), 'bpf-prog'],
    },
    {
      what: 'BpfMap.fromPin of a file outside bpffs',
      act: () => {
        const path = `/tmp/ts-ebpf-not-a-pin-${process.pid}`;
        writeFileSync(path, 'x');
        try {
          BpfMap.fromPin(path);
        } finally {
          rmSync(path);
        }
      },
      error: NotAMapError,
      names: ['/tmp/ts-ebpf-not-a-pin-', 'not a BPF object pinned on bpffs'],
    },
    {
      what: 'BpfMap.fromPin with a value codec of the wrong size',
      act: () => {
        using m = counts();
        const path = pin('codec');
        m.pin(path);
        try {
          BpfMap.fromPin(path, { key: u32, value: u32 });
        } finally {
          m.unpin();
        }
      },
      error: CodecError,
      names: ['value', 'u32'],
    },
    // A per-CPU map opened with a plain value codec: refused as BpfMap.create refuses it, not
    // typed as one value and then read as one value per CPU.
    {
      what: 'BpfMap.fromFd of a per-CPU map with a plain value codec',
      act: () => {
        using m = PerCpuArrayMap.create({ value: u64, maxEntries: 1, name: 'pkts' });
        BpfMap.fromFd(dupFd(m.fd), { key: u32, value: u64 });
      },
      error: CodecError,
      names: ["percpu_array map 'pkts'", 'value', 'perCpu(...) value codec', 'give perCpu(u64), not u64'],
    },
    {
      what: 'BpfMap.fromPin of a per-CPU map with a plain value codec',
      act: () => {
        using m = PerCpuArrayMap.create({ value: u64, maxEntries: 1, name: 'pkts' });
        const path = pin('percpu');
        m.pin(path);
        try {
          BpfMap.fromPin(path, { value: u64 });
        } finally {
          m.unpin();
        }
      },
      error: CodecError,
      names: ["percpu_array map 'pkts'", 'give perCpu(u64)'],
    },
    {
      what: 'BpfMap.fromId of a per-CPU hash map with a plain value codec',
      act: () => {
        using m = PerCpuHashMap.create({ key: u32, value: u32, maxEntries: 1, name: 'pc_hash' });
        BpfMap.fromId(m.info().id, { key: u32, value: u32 });
      },
      error: CodecError,
      names: ["percpu_hash map 'pc_hash'", 'give perCpu(u32)'],
    },
    {
      what: 'BpfMap.fromId of an id no map has',
      act: () => BpfMap.fromId(0x7ffffff0),
      error: MapNotFoundError,
      names: [`map id ${0x7ffffff0}`, 'no map has this id'],
      cause: NotFoundError,
    },
    {
      what: 'a pin outside bpffs',
      act: () => {
        using m = counts();
        const path = `/tmp/ts-ebpf-pin-${process.pid}`;
        try {
          m.pin(path);
        } finally {
          rmSync(path, { force: true });
        }
      },
      error: PinPathError,
      names: ['/tmp/ts-ebpf-pin-', "'/tmp' is not on a bpffs mount", 'ensureBpffs'],
    },
    {
      what: 'a pin at a path already taken',
      act: () => {
        using first = counts();
        using second = HashMap.create({ key: u32, value: u32, maxEntries: 1, name: 'second' });
        const path = pin('taken');
        first.pin(path);
        try {
          second.pin(path);
        } finally {
          first.unpin();
        }
      },
      error: PinError,
      names: ["hash map 'second'", pin('taken'), 'pinned there already'],
    },
  ]);
});
