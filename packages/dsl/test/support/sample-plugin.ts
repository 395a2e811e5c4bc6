import { exit, type Fragment, mov, R0, R1, R6 } from '../../src/index.js';
import { contextField } from '../../src/plugins/context.js';
import { definePlugin } from '../../src/plugins/plugin.js';

/**
 * A small socket filter plugin for the DSL's own tests (the real one is `socketFilterPlugin`
 * of @ts-ebpf/dsl-socket): a few `struct __sk_buff` fields with the kernel's access rules for
 * socket filters, the context saved in R6 by the prologue, and one template.
 */
export const sampleSocketPlugin = definePlugin({
  name: 'sample_socket',
  sections: ['socket'],
  context: {
    type: 'struct __sk_buff',
    size: 192,
    fields: {
      len: contextField(0, 4),
      mark: contextField(8, 4),
      protocol: contextField(16, 4),
      'cb[2]': contextField(56, 4, { write: true }),
      data: contextField(76, 4, { kind: 'packet', read: false }),
      sk: contextField(168, 8, { kind: 'pointer', btfType: 'struct bpf_sock', nullable: true }),
    },
  },
  returnCodes: { DROP: 0, KEEP_ALL: -1 },
  prologue: (): Fragment => [mov(R6, R1)],
  templates: { truncate: (bytes: number): Fragment => [mov(R0, bytes), exit()] },
});
