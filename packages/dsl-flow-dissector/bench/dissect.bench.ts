/**
 * The dissect template against the same logic in C (dissect.bpf.c) compiled by clang-19 -O2:
 * instruction count and instructions the verifier processed, reported to the benchmark page. No timing.
 *
 * Run as root: `npx nx bench @ts-ebpf/dsl-flow-dissector`.
 */
import { assemble } from '@ts-ebpf/dsl';
import { flowDissector, flowDissectorPlugin } from '@ts-ebpf/dsl-flow-dissector';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { compileSection, report, verifierProcessed } from '../../dsl-tc/bench/clang.js';

const source = new URL('./dissect.bpf.c', import.meta.url).pathname;
const cCode = compileSection(source, 'flow_dissector');
const built = flowDissector().build(flowDissectorPlugin.templates.dissect({ byteOrder: HOST_BYTE_ORDER }));
const dslCode = assemble(built.instructions, { byteOrder: HOST_BYTE_ORDER });
const type = BpfProgType.FLOW_DISSECTOR;
const attach = BpfAttachType.FLOW_DISSECTOR;
report(
  '@ts-ebpf/dsl-flow-dissector',
  'flow dissector dissect (VLAN, IPv4 options and fragments, IPv6 extensions, TCP/UDP ports)',
  { insns: cCode.byteLength / 8, processed: verifierProcessed(type, cCode, 'fd_clang', attach) },
  { insns: dslCode.byteLength / 8, processed: verifierProcessed(type, dslCode, 'fd_dsl', attach) },
);
