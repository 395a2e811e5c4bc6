/**
 * The portFilter template against the same logic in C (port-filter.bpf.c) compiled by
 * clang-19 -O2: instruction count and instructions the verifier processed, reported to the benchmark page. No timing.
 *
 * Run as root: `npx nx bench @ts-ebpf/dsl-tc`.
 */
import { assemble } from '@ts-ebpf/dsl';
import { tc, tcPlugin } from '@ts-ebpf/dsl-tc';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { compileSection, report, verifierProcessed } from './clang.js';

const source = new URL('./port-filter.bpf.c', import.meta.url).pathname;
const cCode = compileSection(source, 'tcx/ingress');
const built = tc('tcx/ingress').build(
  tcPlugin.templates.portFilter({ ports: [53, 8080], byteOrder: HOST_BYTE_ORDER }),
);
const dslCode = assemble(built.instructions, { byteOrder: HOST_BYTE_ORDER });
const attach = BpfAttachType.TCX_INGRESS;
report(
  '@ts-ebpf/dsl-tc',
  'tc portFilter (ports 53, 8080; TCP and UDP; VLAN, IPv4 options, IPv6 extensions)',
  {
    insns: cCode.byteLength / 8,
    processed: verifierProcessed(BpfProgType.SCHED_CLS, cCode, 'pf_clang', attach),
  },
  {
    insns: dslCode.byteLength / 8,
    processed: verifierProcessed(BpfProgType.SCHED_CLS, dslCode, 'pf_dsl', attach),
  },
);
