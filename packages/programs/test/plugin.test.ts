import { createSocket } from 'node:dgram';
import {
  call,
  contextField,
  definePlugin,
  exit,
  HelperNotAllowedError,
  mov,
  PluginError,
  pluginSection,
  R0,
} from '@ts-ebpf/dsl';
import { BpfArgumentError } from '@ts-ebpf/syscall';
import { catalog, describeKernel, socketFd } from '@ts-ebpf/test-utils';
import { BpfProgType } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { attachSocketFilter, Program, VerifierError } from '../src/index.js';
import { eventually } from './helpers.js';

/** A minimal socket filter plugin (the full one is in @ts-ebpf/dsl-socket, which depends on this package). */
const testPlugin = definePlugin({
  name: 'test_socket',
  sections: ['socket'],
  context: { type: 'struct __sk_buff', size: 192, fields: { len: contextField(0, 4) } },
  returnCodes: { DROP: 0, KEEP_ALL: -1 },
  templates: {},
});
const socket = pluginSection(testPlugin, 'socket');

/** How many of `n` datagrams reach a UDP socket with `filter` attached. */
async function delivered(filter: Program, n: number): Promise<number> {
  const rx = createSocket('udp4');
  const tx = createSocket('udp4');
  try {
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    const port = rx.address().port;
    const send = (text: string) => new Promise<void>((r) => tx.send(text, port, '127.0.0.1', () => r()));
    let received = 0;
    let ended = false;
    rx.on('message', (m) => {
      if (m.toString() === 'end') ended = true;
      else received++;
    });
    const link = attachSocketFilter(filter, socketFd(rx));
    for (let i = 0; i < n; i++) await send('x');
    // A marker sent once the filter is gone: everything sent before it has been filtered.
    link.close();
    await send('end');
    await eventually(() => ended);
    return received;
  } finally {
    rx.close();
    tx.close();
  }
}

describeKernel('Program.load of plugin-built programs', () => {
  it('loads a socket_filter v2 program as is, and it filters on a real socket', async () => {
    using keep = Program.load(socket.build(socket.ret('KEEP_ALL')));
    expect(keep.type).toBe(BpfProgType.SOCKET_FILTER);
    using drop = Program.load(socket.build(socket.ret('DROP')));
    expect(await delivered(keep, 3)).toBe(3);
    expect(await delivered(drop, 3)).toBe(0);
  });

  it('checks the program against its plugin section before the kernel is asked', () => {
    const built = socket.build(socket.ret('KEEP_ALL'));
    const withCall = [call('xdp_adjust_head'), ...built.instructions];
    expect(() => Program.load({ ...built, instructions: withCall })).toThrow(HelperNotAllowedError);
    expect(() => Program.load({ ...built, type: BpfProgType.XDP })).toThrow(PluginError);
    expect(() => Program.load({ ...built, section: undefined })).toThrow(
      /section: is required with plugin 'test_socket'/,
    );
  });

  it("names a refused helper as the kernel's verifier does, in the message and by id", () => {
    const body = [call('xdp_adjust_head'), mov(R0, 0), exit()];
    const kernel = (() => {
      try {
        Program.load({ type: BpfProgType.SOCKET_FILTER, instructions: body }).close();
      } catch (e) {
        return e;
      }
    })();
    expect(kernel).toBeInstanceOf(VerifierError);
    const said = /cannot use helper (\S+)/.exec((kernel as VerifierError).log)?.[1];
    expect(said).toBe('bpf_xdp_adjust_head#44');
    const ours = (() => {
      try {
        socket.build(body);
      } catch (e) {
        return e;
      }
    })();
    expect(ours).toBeInstanceOf(HelperNotAllowedError);
    expect(ours).toMatchObject({ helper: 'xdp_adjust_head', helperId: 44, text: `call ${said}` });
    expect((ours as HelperNotAllowedError).message).toBe(
      `instruction #0 (call ${said}): SOCKET_FILTER programs may not call helper ${said}`,
    );
  });
});

describeKernel('Program.load of plugin-built programs: the mistake catalog', () => {
  const built = socket.build(socket.ret('KEEP_ALL'));
  catalog([
    {
      what: 'a plugin without its section',
      act: () => Program.load({ ...built, section: undefined }),
      error: BpfArgumentError,
      names: ['section', "plugin 'test_socket'"],
    },
    {
      what: 'a plugin-built program loaded as another type',
      act: () => Program.load({ ...built, type: BpfProgType.XDP }),
      error: PluginError,
      names: ["section 'socket'", 'SOCKET_FILTER', 'XDP'],
    },
    {
      what: 'a helper the section may not call, added after the build',
      act: () => Program.load({ ...built, instructions: [call('xdp_adjust_head'), ...built.instructions] }),
      error: HelperNotAllowedError,
      names: ['helper bpf_xdp_adjust_head#44', 'SOCKET_FILTER'],
    },
  ]);
});
