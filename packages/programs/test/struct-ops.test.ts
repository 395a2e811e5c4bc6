import { readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { StructOpsDataError, StructOpsMembersError } from '@ts-ebpf/btf';
import { StructOpsTypeError, structOpsValueType } from '@ts-ebpf/maps';
import {
  BpfArgumentError,
  BpfProgType,
  BpfSyscallError,
  close,
  getsockopt,
  ObjectClosedError,
  setsockopt,
  socket,
} from '@ts-ebpf/syscall';
import { describeKernel, socketFd, thrownBy } from '@ts-ebpf/test-utils';
import { AddressFamily, IpProto, SocketType, TcpSocketOption } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import {
  AttachError,
  attachStructOps,
  LinkOperationError,
  Program,
  StructOps,
  structOpsMember,
} from '../src/index.js';
import { Counter, eventually } from './helpers.js';

function congestionControl(fd: number): string {
  const buf = new Uint8Array(16);
  const n = getsockopt(fd, IpProto.TCP, TcpSocketOption.CONGESTION, buf);
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? n : end));
}

function trySetCongestion(fd: number, name: string): boolean {
  try {
    setsockopt(fd, IpProto.TCP, TcpSocketOption.CONGESTION, new TextEncoder().encode(name));
    return true;
  } catch {
    return false;
  }
}

describeKernel('struct_ops', () => {
  it('finds tcp_congestion_ops members in vmlinux BTF', () => {
    const ssthresh = structOpsMember('tcp_congestion_ops', 'ssthresh');
    expect(ssthresh.size).toBe(8);
    expect(structOpsMember('tcp_congestion_ops', 'name').size).toBe(16);
    expect(() => structOpsMember('no_such_ops', 'ssthresh')).toThrow(StructOpsTypeError);
    expect(() => structOpsMember('tcp_congestion_ops', 'no_such_member')).toThrow(
      /no member 'no_such_member'/,
    );
  });

  for (const link of [true, false]) {
    it(`registers a tcp_congestion_ops written in BPF (${link ? 'bpf_link' : 'map update'}), selectable with setsockopt`, async () => {
      const name = `tsebpf_${link ? 'l' : 'm'}${process.pid % 10000}`;
      using c = new Counter();
      using congestion = congestionPrograms(c);
      const fd = socket(AddressFamily.INET, SocketType.STREAM, 0);
      try {
        const ops = attachStructOps({
          type: 'tcp_congestion_ops',
          programs: congestion.programs,
          fields: { name },
        });
        try {
          if (link) expect(ops.info()).toMatchObject({ type: 'struct_ops', mapId: expect.any(Number) });
          if (link) expect((ops.info() as { mapId: number }).mapId).toBeGreaterThan(0);
          expect(trySetCongestion(fd, name)).toBe(true);
          expect(congestionControl(fd)).toBe(name);
          await trafficWith(name);
          expect(c.value).toBeGreaterThan(0n);
        } finally {
          ops.close();
        }
        expect(trySetCongestion(fd, name)).toBe(false);
      } finally {
        close(fd);
      }
    });
  }

  it('a number that does not fit its data member is refused, not cut to it', () => {
    using c = new Counter();
    using congestion = congestionPrograms(c);
    const name = `tsebpf_f${process.pid % 10000}`;
    // Before: 2 ** 33 became 0 and 1.5 became 1 (TCP_CONG_NON_RESTRICTED), and the ops registered.
    for (const flags of [2 ** 33, 1.5, -(2 ** 31) - 1, 2n ** 32n, true as never]) {
      const create = () =>
        StructOps.create({
          type: 'tcp_congestion_ops',
          programs: congestion.programs,
          fields: { name, flags },
        });
      expect(create).toThrow(BpfArgumentError);
      expect(create).toThrow(/struct_ops tcp_congestion_ops\.flags/);
    }
    using ok = StructOps.create({
      type: 'tcp_congestion_ops',
      programs: congestion.programs,
      fields: { name, flags: 1 },
    });
    const layout = structOpsValueType('tcp_congestion_ops');
    const flagsAt = layout.dataOffset + layout.members.find((m) => m.name === 'flags')!.offset;
    expect(new DataView(ok.value.buffer).getUint32(flagsAt, true)).toBe(1);
  });

  it("refuses a data member the kernel's rules refuse before the map is made: StructOpsDataError", () => {
    using c = new Counter();
    using congestion = congestionPrograms(c);
    const name = `tsebpf_r${process.pid % 10000}`;
    const fds = readdirSync('/proc/self/fd').length;
    for (const [fields, member, rule] of [
      [{ name, flags: 0x100 }, 'flags', 'flags'],
      [{ name: 'tsebpf-bad' }, 'name', 'name'],
      [{ name, key: 7 }, 'key', 'zero'],
    ] as const) {
      const thrown = thrownBy(() =>
        StructOps.create({
          type: 'tcp_congestion_ops',
          programs: congestion.programs,
          fields,
          mapName: 'tsebpf_rules',
        }),
      );
      expect(thrown, member).toBeInstanceOf(StructOpsDataError);
      expect(thrown, member).toMatchObject({ member, rule, map: 'tsebpf_rules', type: 'tcp_congestion_ops' });
    }
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });

  it('explains a name registered already (EEXIST)', () => {
    const name = `tsebpf_e${process.pid % 10000}`;
    using c = new Counter();
    using congestion = congestionPrograms(c);
    const { programs } = congestion;
    for (const link of [true, false]) {
      using first = attachStructOps({ type: 'tcp_congestion_ops', programs, fields: { name } });
      const thrown = thrownBy(() => {
        using second = StructOps.create({ type: 'tcp_congestion_ops', programs, fields: { name }, link });
        second.register().close();
      });
      expect(thrown).toBeInstanceOf(AttachError);
      expect((thrown as AttachError).target).toBe(`struct_ops tcp_congestion_ops '${name}'`);
      expect((thrown as Error).message).toContain(`registered under the name '${name}'`);
      expect((thrown as Error).cause).toBeInstanceOf(BpfSyscallError);
      expect(((thrown as Error).cause as BpfSyscallError).code).toBe('EEXIST');
      first.close();
    }
  });

  it('refuses ops without a member the type requires before the map is made: StructOpsMembersError', () => {
    const name = `tsebpf_m${process.pid % 10000}`;
    using c = new Counter();
    using congestion = congestionPrograms(c);
    const { ssthresh, cong_avoid, undo_cwnd } = congestion.programs;
    const fds = readdirSync('/proc/self/fd').length;
    for (const [programs, fields, member] of [
      [{ ssthresh: ssthresh!, cong_avoid: cong_avoid! }, { name }, 'undo_cwnd'],
      [{ ssthresh: ssthresh!, undo_cwnd: undo_cwnd! }, { name }, 'cong_avoid'],
      [{ ssthresh: ssthresh!, cong_avoid: cong_avoid!, undo_cwnd: undo_cwnd! }, {}, 'name'],
    ] as const) {
      const thrown = thrownBy(() => StructOps.create({ type: 'tcp_congestion_ops', programs, fields }));
      expect(thrown, member).toBeInstanceOf(StructOpsMembersError);
      expect(thrown, member).toMatchObject({ member, rule: 'required', type: 'tcp_congestion_ops' });
    }
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });
});

/**
 * The programs of a minimal tcp_congestion_ops (ssthresh, undo_cwnd and cong_avoid, each counting
 * its calls in `c`), closed together.
 */
function congestionPrograms(c: Counter): { readonly programs: Record<string, Program> } & Disposable {
  const programs: Record<string, Program> = {};
  const close = () => {
    for (const p of Object.values(programs)) p.close();
  };
  try {
    for (const [member, ret] of [
      ['ssthresh', 10],
      ['undo_cwnd', 10],
      ['cong_avoid', 0],
    ] as const)
      programs[member] = Program.load({
        type: BpfProgType.STRUCT_OPS,
        attachTo: `tcp_congestion_ops.${member}`,
        instructions: c.code(ret),
      });
  } catch (e) {
    close();
    throw e;
  }
  return { programs, [Symbol.dispose]: close };
}

/** A localhost TCP transfer whose sender uses congestion control `name`. */
async function trafficWith(name: string): Promise<void> {
  let accepted: Socket | undefined;
  let received = 0;
  const server = createServer((s) => {
    accepted = s;
    s.on('data', (d) => {
      received += d.length;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = createConnection({ port: (server.address() as { port: number }).port, host: '127.0.0.1' });
  try {
    await new Promise<void>((r) => client.once('connect', () => r()));
    const fd = socketFd(client);
    setsockopt(fd, IpProto.TCP, TcpSocketOption.CONGESTION, new TextEncoder().encode(name));
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 64; i++) client.write(chunk);
    await eventually(() => received >= 64 * chunk.length, 10_000);
  } finally {
    client.destroy();
    accepted?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describeKernel('struct_ops: StructOps, the one registration path', () => {
  it('creates and fills the map without registering, registers once, replaces through the link, unregisters on close', async () => {
    const name = `tsebpf_s${process.pid % 10000}`;
    const available = () => readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8');
    using first = new Counter();
    using second = new Counter();
    const load = (c: Counter, member: string, ret: number) =>
      Program.load({
        type: BpfProgType.STRUCT_OPS,
        attachTo: `tcp_congestion_ops.${member}`,
        instructions: c.code(ret),
      });
    using s1 = load(first, 'ssthresh', 10);
    using u1 = load(first, 'undo_cwnd', 10);
    using a1 = load(first, 'cong_avoid', 0);
    using a2 = load(second, 'cong_avoid', 0);
    using ops = StructOps.create({
      type: 'tcp_congestion_ops',
      programs: { ssthresh: s1, undo_cwnd: u1, cong_avoid: a1 },
      fields: { name },
    });
    expect(ops.link).toBe(true);
    expect(ops.registered).toBe(false);
    expect(available()).not.toContain(name);
    // What was written: the program fds at their members inside the value's data.
    const layout = structOpsValueType('tcp_congestion_ops');
    const at = (m: string) => layout.dataOffset + layout.members.find((x) => x.name === m)!.offset;
    const value = new DataView(ops.value.buffer);
    expect(value.getBigUint64(at('ssthresh'), true)).toBe(BigInt(s1.fd));
    expect(new TextDecoder().decode(ops.value.subarray(at('name'), at('name') + name.length))).toBe(name);
    {
      using link = ops.register();
      expect(available()).toContain(name);
      expect(() => ops.register()).toThrow(LinkOperationError);
      expect(() => link.update(s1)).toThrow(LinkOperationError);
      await trafficWith(name);
      expect(first.value).toBeGreaterThan(0n);
      using next = StructOps.create({
        type: 'tcp_congestion_ops',
        programs: { ssthresh: s1, undo_cwnd: u1, cong_avoid: a2 },
        fields: { name },
      });
      link.replace(next, ops);
      expect(link.info()).toMatchObject({ mapId: next.map.info().id });
      // previous no longer registered: a replace expecting it is refused by the kernel
      expect(() => link.replace(next, ops)).toThrow(BpfSyscallError);
      await trafficWith(name);
      expect(second.value).toBeGreaterThan(0n);
    }
    expect(available()).not.toContain(name);
    ops.close();
    ops.close();
    expect(ops.closed).toBe(true);
    expect(() => ops.map).toThrow(ObjectClosedError);
  });
});
