/**
 * Tutorial 3, write and load a program with the dsl: the same socket filter written as
 * `bpf` text and with instruction builders, run in the kernel with Program.testRun, then a
 * program the verifier refuses, with the refusal mapped back to the dsl label.
 * docs/tutorials/03-dsl.md walks through it.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/tutorial-dsl.ts
 */
import {
  add,
  atomic,
  bpf,
  call,
  exit,
  format,
  jeq,
  ldMapFd,
  ldx,
  mark,
  mov,
  program,
  R0,
  R1,
  R2,
  R10,
  st,
  stx,
} from '@ts-ebpf/dsl';
import { ArrayMap, HashMap, u32, u64 } from '@ts-ebpf/maps';
import { BpfProgType, Program, VerifierError } from '@ts-ebpf/programs';

// An array map of one u64: the programs below count the packets they see in slot 0.
using seen = ArrayMap.create({ value: u64, maxEntries: 1 });

// 1. As text: the kernel's own syntax; ${seen} puts the map's fd into `r1 = map[fd:N]`.
const asText = bpf`
    *(u32 *)(r10 - 4) = 0       // key 0 on the stack
    r1 = ${seen}
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out         // the verifier insists on this null check
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
  out:
    r0 = 0xffff                 // socket filter: keep up to 64 KiB of the packet
    exit`;

// 2. With builders: the same instructions as function calls; labels are mark('…').
const withBuilders = program(
  st('w', R10, -4, 0),
  ldMapFd(R1, seen),
  mov(R2, R10),
  add(R2, -4),
  call('map_lookup_elem'),
  jeq(R0, 0, 'out'),
  mov(R1, 1),
  atomic('add', 'dw', R0, R1, 0),
  mark('out'),
  mov(R0, 0xffff),
  exit(),
);
console.log('same program:', format(asText) === format(withBuilders));
console.log(format(withBuilders).trimEnd());

const packet = new Uint8Array(64); // an all-zero Ethernet frame is enough for a test run
for (const [name, instructions] of [
  ['text', asText],
  ['builders', withBuilders],
] as const) {
  using prog = Program.load({ type: BpfProgType.SOCKET_FILTER, instructions, name });
  const { retval } = prog.testRun({ data: packet, repeat: 3 });
  console.log(`${name}: retval 0x${retval.toString(16)}, packets counted so far ${seen.get(0)}`);
}

// 3. A mistake: dereference a hash lookup's result before checking it for null. The
//    VerifierError names the instruction by its dsl label and carries the verifier's log.
//    (An array lookup with a constant, in-range key cannot fail; a hash lookup can.)
using byKey = HashMap.create({ key: u32, value: u64, maxEntries: 8 });
const broken = program(
  st('w', R10, -4, 0),
  ldMapFd(R1, byKey),
  mov(R2, R10),
  add(R2, -4),
  call('map_lookup_elem'),
  mark('bump'),
  ldx('dw', R1, R0, 0), // r1 = *(u64 *)(r0 + 0): r0 may be NULL here
  add(R1, 1),
  stx('dw', R0, R1, 0),
  mov(R0, 0),
  exit(),
);
try {
  Program.load({ type: BpfProgType.SOCKET_FILTER, instructions: broken, name: 'broken' });
  throw new Error('the verifier accepted a null dereference');
} catch (e) {
  if (!(e instanceof VerifierError)) throw e;
  console.log(`refused at label ${e.instruction?.label}: ${e.errorLine}`);
  console.log(`message: ${e.message.split('\n')[0]}`);
}
