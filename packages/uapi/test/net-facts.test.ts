import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf, membersOf } from '@ts-ebpf/btf';
import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  AddressFamily,
  BPF_FLOW_KEYS_LAYOUT,
  BPF_SOCK_LAYOUT,
  IpProto,
  MsgFlag,
  NetlinkProtocol,
  NetlinkSocketOption,
  SK_BUFF_LAYOUT,
  SocketLevel,
  SocketOption,
  SocketType,
  type StructLayout,
  TcAction,
  TcpSocketOption,
} from '../src/index.js';

/** The struct layouts of linux/bpf.h this package describes. */
const LAYOUTS: readonly StructLayout<string>[] = [SK_BUFF_LAYOUT, BPF_SOCK_LAYOUT, BPF_FLOW_KEYS_LAYOUT];

/** `name` or `name[i]` split into the C member and the element index. */
function member(field: string): { name: string; index: number } {
  const m = /^(\w+)(?:\[(\d+)\])?$/.exec(field)!;
  return { name: m[1]!, index: m[2] === undefined ? -1 : Number(m[2]) };
}

/** Runs a C program that includes `headers` and prints one line per statement; returns its lines. */
function compiledLines(headers: readonly string[], prints: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'uapi-layout-'));
  try {
    const src = join(dir, 'c.c');
    const includes = ['stdio.h', 'stddef.h', ...headers].map((h) => `#include <${h}>`).join('\n');
    writeFileSync(src, `${includes}\nint main(void){\n${prints.join('\n')}\nreturn 0;}\n`);
    execFileSync('gcc', ['-o', join(dir, 'c'), src]);
    return execFileSync(join(dir, 'c'), { encoding: 'utf8' }).trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(LAYOUTS)("$type against this machine's C compiler and linux/bpf.h", (layout) => {
  it('has offsetof and sizeof of every field, and the struct size', () => {
    const fields = Object.entries(layout.fields);
    const prints = fields.map(([field]) => {
      const { name, index } = member(field);
      const c = index < 0 ? name : `${name}[${index}]`;
      return `printf("%zu %zu\\n", offsetof(${layout.type}, ${c}), sizeof(((${layout.type} *)0)->${c}));`;
    });
    prints.push(`printf("%zu\\n", sizeof(${layout.type}));`);
    const lines = compiledLines(['linux/bpf.h'], prints);
    const ours = [...fields.map(([, f]) => `${f.offset} ${f.size}`), String(layout.size)];
    expect(ours).toEqual(lines);
  });
});

/** The network groups of this package with the C prefix of their members' names. */
const NET_GROUPS: readonly (readonly [Readonly<Record<string, number>>, string])[] = [
  [TcAction, 'TC_ACT_'],
  [AddressFamily, 'AF_'],
  [IpProto, 'IPPROTO_'],
  [SocketType, 'SOCK_'],
  [SocketLevel, 'SOL_'],
  [SocketOption, 'SO_'],
  [TcpSocketOption, 'TCP_'],
  [NetlinkProtocol, 'NETLINK_'],
  [NetlinkSocketOption, 'NETLINK_'],
  [MsgFlag, 'MSG_'],
];

describe("tc actions and socket constants against this machine's headers", () => {
  it('have the C values', () => {
    const names = NET_GROUPS.flatMap(([group, prefix]) =>
      Object.entries(group).map(([k, v]) => [`${prefix}${k}`, v] as const),
    );
    expect(names.length).toBe(57);
    const lines = compiledLines(
      ['sys/socket.h', 'netinet/in.h', 'netinet/tcp.h', 'linux/netlink.h', 'linux/pkt_cls.h'],
      names.map(([c]) => `printf("${c} %d\\n", (int)(${c}));`),
    );
    expect(lines).toEqual(names.map(([c, v]) => `${c} ${v}`));
  });
});

describeKernel("the struct layouts against this kernel's BTF", () => {
  it.each(LAYOUTS)('$type has the offset and size of every field', (layout) => {
    const btf = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
    const [id] = btf.findIds(layout.type.replace(/^struct /, ''), 'struct');
    expect(id).toBeDefined();
    expect(btf.type(id!)).toMatchObject({ size: layout.size });
    // Named members by name, anonymous unions (`__bpf_md_ptr`) flattened.
    const named = new Map<string, { offset: number; size: number }>();
    const walk = (typeId: number, base: number): void => {
      for (const m of membersOf(btf, typeId)) {
        if (m.name === '') walk(m.type, base + m.byteOffset);
        else named.set(m.name, { offset: base + m.byteOffset, size: m.size });
      }
    };
    walk(id!, 0);
    const wrong: string[] = [];
    const covered = new Set<string>();
    for (const [field, f] of Object.entries(layout.fields)) {
      const { name, index } = member(field);
      const k = named.get(name);
      covered.add(name);
      const offset = k && (index < 0 ? k.offset : k.offset + index * f.size);
      const size = k && (index < 0 ? k.size : f.size);
      if (offset !== f.offset || size !== f.size)
        wrong.push(`${field}: ours ${f.offset}/${f.size}, kernel ${offset}/${size}`);
    }
    expect(wrong).toEqual([]);
    // Every kernel member is in the layout (padding members excepted).
    expect([...named.keys()].filter((n) => !covered.has(n))).toEqual([]);
  });
});
