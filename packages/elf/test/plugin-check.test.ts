import { contextField, definePlugin, HelperNotAllowedError, PluginRegistry } from '@ts-ebpf/dsl';
import { catalog, describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { loadCollection, PluginCheckError } from '../src/index.js';
import { compileFixture } from './compile.js';

const xdpLike = definePlugin({
  name: 'xdp-check',
  sections: ['xdp'],
  context: { type: 'struct xdp_md', size: 24, fields: { data: contextField(0, 4, { kind: 'packet' }) } },
  returnCodes: { XDP_PASS: 2 },
  templates: {},
});

describeKernel('loadCollection with plugins', () => {
  const bytes = compileFixture('plugin-helpers.bpf.c');
  const plugins = new PluginRegistry([xdpLike]);

  it('refuses a program calling a helper its section may not call, naming program and helper', () => {
    let err: unknown;
    try {
      loadCollection(bytes, { plugins }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PluginCheckError);
    expect(err).toMatchObject({ program: 'refused', section: 'xdp' });
    expect(String(err)).toMatch(
      /program 'refused' \(section 'xdp', plugin 'xdp-check'\): .*XDP \(XDP\) programs may not call helper bpf_skb_load_bytes#26/,
    );
  });

  it('loads the programs that keep to their plugin', () => {
    using c = loadCollection(bytes, { plugins, programs: ['allowed'] });
    expect([...c.programs.keys()]).toEqual(['allowed']);
  });
});

describeKernel('loadCollection with plugins: the mistake catalog', () => {
  catalog([
    {
      what: 'an object program calling a helper its plugin section may not call',
      act: () =>
        loadCollection(compileFixture('plugin-helpers.bpf.c'), { plugins: new PluginRegistry([xdpLike]) }),
      error: PluginCheckError,
      names: ["program 'refused'", "section 'xdp'", 'helper bpf_skb_load_bytes#26'],
      cause: HelperNotAllowedError,
    },
  ]);
});
