import { BpfAttachType, BpfProgType } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { sampleSocketPlugin } from './support/sample-plugin.js';

const { R0, R1, R2, R6 } = d;

function testPlugin(name: string, sections: string[]): d.DslPlugin {
  return d.definePlugin({
    name,
    sections,
    context: { type: 'struct xdp_md', size: 24, fields: { data: d.contextField(0, 4, { kind: 'packet' }) } },
    returnCodes: { XDP_PASS: 2 },
    templates: {},
  });
}

describe('plugin registry', () => {
  it('is an instance: nothing is registered at import, two registries share nothing', () => {
    const a = new d.PluginRegistry();
    const b = new d.PluginRegistry([sampleSocketPlugin]);
    expect(a.list()).toEqual([]);
    expect(b.list()).toEqual([sampleSocketPlugin]);
    expect(b.get('sample_socket')).toBe(sampleSocketPlugin);
    expect(a.get('sample_socket')).toBeUndefined();
  });

  it('refuses a duplicate name or a section another plugin has', () => {
    const r = new d.PluginRegistry([sampleSocketPlugin, testPlugin('xdp-a', ['xdp', 'xdp/devmap'])]);
    expect(() => r.register(sampleSocketPlugin)).toThrow(d.DuplicatePluginError);
    expect(() => r.register(testPlugin('xdp-b', ['xdp.frags', 'xdp/devmap']))).toThrow(
      /plugin 'xdp-b' cannot be registered: section 'xdp\/devmap' already belongs to plugin 'xdp-a'/,
    );
    // Nothing of the refused plugin was registered.
    expect(r.forSection('xdp.frags')).toBeUndefined();
    expect(r.list().map((p) => p.name)).toEqual(['sample_socket', 'xdp-a']);
  });

  it('finds the plugin section for an ELF section name', () => {
    const r = new d.PluginRegistry([testPlugin('tp', ['tp'])]);
    const s = r.forSection('tp/sched/sched_switch')!;
    expect(s.plugin.name).toBe('tp');
    expect(s.section).toBe('tp');
    expect(s.def.progType).toBe(d.ProgramType.TRACEPOINT);
    expect(r.forSection('xdp')).toBeUndefined();
    expect(r.forSection('.text')).toBeUndefined();
  });

  it('refuses a plugin whose section is not a libbpf section name', () => {
    expect(() => testPlugin('bad', ['xdpp'])).toThrow(/plugin 'bad': 'xdpp' is not a section name/);
    expect(() => d.pluginSection(sampleSocketPlugin, 'xdp')).toThrow(
      /plugin 'sample_socket' has no section 'xdp' \(it has 'socket'\)/,
    );
  });
});

describe('a plugin with prologue, epilogue and per-section access', () => {
  const plugin = d.definePlugin({
    name: 'tc-like',
    sections: ['tc', 'tcx/ingress'],
    context: {
      type: 'struct __sk_buff',
      size: 192,
      fields: {
        mark: d.contextField(8, 4, { write: ['tcx/ingress'] }),
        data: d.contextField(76, 4, { kind: 'packet' }),
      },
    },
    returnCodes: { TC_ACT_OK: 0, TC_ACT_SHOT: 2 },
    prologue: () => [d.mov(R6, R1)],
    epilogue: () => [d.mark('done'), d.exit()],
    templates: {},
  });

  it('builds prologue, body and epilogue in order, with the attach type of the section', () => {
    const s = d.pluginSection(plugin, 'tcx/ingress');
    const built = s.build([d.mov(R0, plugin.returnCodes.TC_ACT_OK), d.ja('done')]);
    expect(d.format(built.instructions)).toBe('r6 = r1\nr0 = 0\ngoto done\ndone:\nexit\n');
    expect(built).toMatchObject({
      type: BpfProgType.SCHED_CLS,
      expectedAttachType: BpfAttachType.TCX_INGRESS,
    });
    expect(d.pluginSection(plugin, 'tc').build([d.mov(R0, 0)]).expectedAttachType).toBeUndefined();
  });

  it('checks writes per section', () => {
    expect(d.pluginSection(plugin, 'tcx/ingress').store('mark', R2, R6)).toEqual(d.stx('w', R6, R2, 8));
    expect(() => d.pluginSection(plugin, 'tc').store('mark', R2)).toThrow(
      /tc-like programs of section 'tc' may not write struct __sk_buff.mark/,
    );
    // Without a section: allowed when some section may.
    expect(d.storeContext(plugin, 'mark', R2)).toEqual(d.stx('w', R1, R2, 8));
    expect(d.allows(['tc'], 'tc')).toBe(true);
    expect(d.allows(['tc'], 'tcx/ingress')).toBe(false);
    expect(d.allows([], undefined)).toBe(false);
  });
});

describe('return codes per section', () => {
  const plugin = d.definePlugin({
    name: 'skb-like',
    sections: ['sk_skb/stream_parser', 'sk_skb/stream_verdict', 'sk_skb'],
    context: { type: 'struct __sk_buff', size: 192, fields: { len: d.contextField(0, 4) } },
    returnCodes: { SK_DROP: 0, SK_PASS: 1 },
    sectionReturns: {
      'sk_skb/stream_parser': { codes: { NEED_MORE: 0 }, returns: 'a length in bytes' },
    },
    templates: {},
  });

  it("gives a section its own codes, and the others the plugin's", () => {
    // pluginSection types the codes as the plugin's: a section's own are checked at the call.
    const parser = d.pluginSection(plugin, 'sk_skb/stream_parser');
    expect(parser.returnCodes).toEqual({ NEED_MORE: 0 });
    expect(d.format(parser.ret('NEED_MORE' as never))).toBe('r0 = 0\nexit\n');
    for (const name of ['sk_skb/stream_verdict', 'sk_skb']) {
      const verdict = d.pluginSection(plugin, name);
      expect(verdict.returnCodes).toBe(plugin.returnCodes);
      expect(d.format(verdict.ret('SK_PASS'))).toBe('r0 = 1\nexit\n');
    }
    expect(Object.isFrozen(plugin.sectionReturns?.['sk_skb/stream_parser']?.codes)).toBe(true);
  });

  it("refuses a plugin code in a section with its own, naming the section's codes and what it returns", () => {
    expect(() => d.pluginSection(plugin, 'sk_skb/stream_parser').ret('SK_PASS')).toThrow(
      /plugin 'skb-like', section 'sk_skb\/stream_parser': "SK_PASS" is not a return code \(it has NEED_MORE; it returns a length in bytes\)/,
    );
    expect(() => d.pluginSection(plugin, 'sk_skb/stream_verdict').ret('NEED_MORE' as never)).toThrow(
      /section 'sk_skb\/stream_verdict': "NEED_MORE" is not a return code \(it has SK_DROP, SK_PASS\)/,
    );
  });

  it('says what the kernel does with a name the section refuses, before the codes it has', () => {
    const refusing = d.definePlugin({
      ...plugin,
      sectionReturns: {
        'sk_skb/stream_parser': {
          codes: { NEED_MORE: 0 },
          refused: { SK_PASS: 'a parser would return a one-byte message' },
        },
      },
    });
    expect(Object.isFrozen(refusing.sectionReturns?.['sk_skb/stream_parser']?.refused)).toBe(true);
    expect(() => d.pluginSection(refusing, 'sk_skb/stream_parser').ret('SK_PASS')).toThrow(
      /section 'sk_skb\/stream_parser': "SK_PASS" is not a return code: a parser would return a one-byte message \(it has NEED_MORE\)$/,
    );
    // a name refused in one section only: the others keep it
    expect(d.format(d.pluginSection(refusing, 'sk_skb').ret('SK_PASS'))).toBe('r0 = 1\nexit\n');
  });

  it('says a section with no named codes has none', () => {
    const none = d.definePlugin({
      ...plugin,
      sectionReturns: { 'sk_skb/stream_parser': { codes: {} } },
    });
    expect(() => d.pluginSection(none, 'sk_skb/stream_parser').ret('SK_PASS')).toThrow(
      /"SK_PASS" is not a return code \(it has none\)/,
    );
  });
});

describe('return codes chosen by fragments (an option, a template)', () => {
  const plugin = d.definePlugin({
    name: 'xdp-like',
    sections: ['xdp', 'xdp/devmap', 'xdp/cpumap'],
    context: { type: 'struct xdp_md', size: 24, fields: { data: d.contextField(0, 4, { kind: 'packet' }) } },
    returnCodes: { XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4 },
    sectionReturns: {
      'xdp/devmap': {
        codes: { XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2 },
        refused: { XDP_TX: 'a devmap program drops the frame' },
      },
      // a section that returns more than its named codes: only what it refuses by name is judged
      'xdp/cpumap': { codes: { XDP_PASS: 2 }, returns: 'anything', refused: { XDP_TX: 'no TX here' } },
    },
    templates: {},
  });
  const pass = d.returnCode(2, 'the end');

  it('records the code and what chose it on the instruction, through labels and program()', () => {
    const code = d.returnCode(3, 'template tx');
    expect(d.format(d.program(code))).toBe('r0 = 3\nexit\n');
    expect(code[0]).toMatchObject({ returns: { code: 3, by: 'template tx' } });
    const labelled = d.program(d.mark('here'), code);
    expect(labelled[0]).toMatchObject({ label: 'here', returns: { code: 3, by: 'template tx' } });
    expect(Object.isFrozen(labelled[0]!.returns)).toBe(true);
    const onFailure = d.program(
      d.returnIfNonZero(1, 'onFailure of a helper'),
      d.returnIfNonZero(1, 'again'),
      pass,
    );
    expect(onFailure.filter((i) => i.returns).map((i) => i.returns)).toEqual([
      { code: 1, by: 'onFailure of a helper' },
      { code: 1, by: 'again' },
      { code: 2, by: 'the end' },
    ]);
    expect(() => d.assemble(onFailure)).not.toThrow();
  });

  it('refuses at build time a code the section refuses, naming what chose it and what the kernel does', () => {
    const body = [d.returnIfNonZero(3, 'onFailure of a helper'), pass];
    expect(d.format(d.pluginSection(plugin, 'xdp').build(body).instructions)).toMatch(
      /^if r0 == 0 goto (\S+)\nr0 = 3\nexit\n\1:\nr0 = 2\nexit\n$/,
    );
    const error = (() => {
      try {
        d.pluginSection(plugin, 'xdp/devmap').build(body);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(d.ReturnCodeError);
    expect(error).toBeInstanceOf(d.PluginError);
    expect(error).toMatchObject({
      plugin: 'xdp-like',
      section: 'xdp/devmap',
      code: 'XDP_TX',
      subject: 'onFailure of a helper',
      message:
        "plugin 'xdp-like', section 'xdp/devmap': XDP_TX (3) from onFailure of a helper is not a return code: a devmap program drops the frame (it has XDP_ABORTED, XDP_DROP, XDP_PASS)",
    });
  });

  it("refuses a plugin code the section does not have, judges no number that is none of the plugin's", () => {
    const redirect = d.choosingReturn(d.call('redirect'), 4, 'the redirect helper');
    expect(() => d.pluginSection(plugin, 'xdp/devmap').build([redirect, d.exit()])).toThrow(
      /section 'xdp\/devmap': XDP_REDIRECT \(4\) from the redirect helper is not a return code \(it has XDP_ABORTED, XDP_DROP, XDP_PASS\)$/,
    );
    expect(() => d.pluginSection(plugin, 'xdp/devmap').build(d.returnCode(99, 'a miss'))).not.toThrow();
    // a section returning more than its codes refuses only what it names
    expect(() => d.pluginSection(plugin, 'xdp/cpumap').build(d.returnCode(4, 'x'))).not.toThrow();
    expect(() => d.pluginSection(plugin, 'xdp/cpumap').build(d.returnCode(3, 'template tx'))).toThrow(
      /XDP_TX \(3\) from template tx is not a return code: no TX here \(it has XDP_PASS; it returns anything\)/,
    );
  });

  it('refuses it again in checkPluginProgram (before loading), and by name in ret()', () => {
    const built = d.pluginSection(plugin, 'xdp').build([d.returnIfNonZero(3, 'onFailure'), pass]);
    expect(() => d.checkPluginProgram(built)).not.toThrow();
    const moved = { ...built, section: 'xdp/devmap', expectedAttachType: BpfAttachType.XDP_DEVMAP };
    expect(() => d.checkPluginProgram(moved)).toThrow(d.ReturnCodeError);
    expect(() => d.pluginSection(plugin, 'xdp/devmap').ret('XDP_TX')).toThrow(
      expect.objectContaining({
        name: 'ReturnCodeError',
        code: 'XDP_TX',
        section: 'xdp/devmap',
        subject: undefined,
      }),
    );
  });
});

describe('fresh labels', () => {
  it('gives each fragment call its own labels, so one fragment can be used twice', () => {
    const clamp = d.fragment((label, r: d.Register, max: number) => [
      d.jle(r, max, label('ok')),
      d.mov(r, max),
      d.mark(label('ok')),
    ]);
    const prog = d.program(d.mov(R2, 50), clamp(R2, 10), clamp(R2, 20), d.mov(R0, R2), d.exit());
    const labels = prog.map((i) => i.label).filter((l) => l !== undefined);
    expect(new Set(labels).size).toBe(2);
    expect(() => d.assemble(prog)).not.toThrow();
    expect(d.freshLabel('x')).not.toBe(d.freshLabel('x'));
    const scope = d.labelScope();
    expect(scope('a')).toBe(scope('a'));
    expect(scope('a')).not.toBe(scope('b'));
  });
});
