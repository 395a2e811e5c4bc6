import * as d from '@ts-ebpf/dsl';
import { allowedHelpers, BpfFunc, BpfProgType } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { socketFilterPlugin } from '../src/index.js';
import { btfOffsets, btfSize, ourOffsets } from './layout.js';

const { R0, R1, R2, R6 } = d;

describe('socket_filter plugin', () => {
  const plugin = socketFilterPlugin;
  const fields = plugin.context.fields;
  const section = d.pluginSection(plugin, 'socket');

  it('context layout matches struct __sk_buff of the running kernel (BTF)', () => {
    expect(btfOffsets('__sk_buff', fields)).toEqual(ourOffsets(fields));
    expect(plugin.context.size).toBe(btfSize('__sk_buff'));
    expect(fields.sk).toMatchObject({ kind: 'pointer', btfType: 'struct sock_common', nullable: true });
    expect(fields.data.kind).toBe('packet');
  });

  it('loads readable fields with their size and refuses the rest', () => {
    expect(d.loadContext(plugin, 'len', R0)).toEqual(d.ldx('w', R0, R1, 0));
    expect(section.load('sk', R2, R6)).toEqual(d.ldx('dw', R2, R6, 168));
    expect(() => section.load('data', R0)).toThrow(d.ContextAccessError);
    expect(() => section.load('data', R0)).toThrow(
      /socket_filter programs of section 'socket' may not read struct __sk_buff.data/,
    );
    expect(() => d.loadContext(plugin, 'nope' as 'len', R0)).toThrow(/has no field 'nope'/);
    expect(() => d.loadContext(plugin, 'toString' as 'len', R0)).toThrow(/has no field 'toString'/);
    expect(d.storeContext(plugin, 'cb[2]', R0)).toEqual(d.stx('w', R1, R0, 56));
    expect(() => section.store('mark', R0)).toThrow(/may not write struct __sk_buff.mark/);
  });

  it('allows the helpers the kernel facts give SOCKET_FILTER and refuses the others by name', () => {
    expect(section.helpers).toBe(allowedHelpers(BpfProgType.SOCKET_FILTER));
    expect(section.helpers.has(BpfFunc.skb_load_bytes)).toBe(true);
    expect(() => section.build([d.call('map_lookup_elem'), d.exit()])).not.toThrow();
    const err = (() => {
      try {
        section.build([d.mov(R0, 0), d.call('xdp_adjust_head'), d.exit()]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(d.HelperNotAllowedError);
    expect(err).toMatchObject({
      helper: 'xdp_adjust_head',
      helperId: 44,
      programType: 'SOCKET_FILTER',
      index: 2,
    });
    expect(String(err)).toContain(
      'instruction #2 (call bpf_xdp_adjust_head#44): SOCKET_FILTER programs may not call helper bpf_xdp_adjust_head#44',
    );
  });

  it('builds what Program.load takes: type, attach type, prologue + body, section and plugin', () => {
    const built = section.build(plugin.templates.dropAll());
    expect(built).toMatchObject({ type: BpfProgType.SOCKET_FILTER, section: 'socket', plugin });
    expect(built.expectedAttachType).toBeUndefined();
    expect(d.format(built.instructions)).toBe('r6 = r1\nr0 = 0\nexit\n');
    expect(() => d.checkPluginProgram(built)).not.toThrow();
    expect(() => d.checkPluginProgram({ ...built, type: BpfProgType.XDP })).toThrow(
      /section 'socket': built for SOCKET_FILTER programs, loaded as XDP/,
    );
  });

  it('has return codes, a prologue and templates', () => {
    expect(plugin.returnCodes).toEqual({ DROP: 0, KEEP_ALL: -1 });
    expect(d.format(d.program(plugin.prologue!()))).toBe('r6 = r1\n');
    expect(d.format(section.ret('DROP'))).toBe('r0 = 0\nexit\n');
    const t = plugin.templates;
    expect(d.format(d.program(t.acceptAll()))).toBe('r0 = -1\nexit\n');
    expect(d.format(d.program(t.truncate(64)))).toBe('r0 = 64\nexit\n');
    expect(d.format(d.program(t.etherType(0x0800, 'little')))).toMatch(/if r0 != 8 goto \.?drop\$\d+/);
    expect(d.format(d.program(t.etherType(0x0800, 'big')))).toMatch(/if r0 != 2048 goto/);
    // Twice in one program: distinct labels.
    expect(() =>
      d.assemble(d.program(t.etherType(0x0800, 'little'), t.etherType(0x86dd, 'little'))),
    ).not.toThrow();
  });
});
