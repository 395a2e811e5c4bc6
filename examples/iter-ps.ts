/**
 * BPF iterators written in TypeScript with @ts-ebpf/dsl-iter: a ps-like task list read as
 * typed records, this process's open files and the TCP socket table read as text lines, and
 * which iterator targets this kernel offers.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/iter-ps.ts
 */
import { createServer } from 'node:net';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { openFilesDump, TCP_STATES, taskDump, tcpSocketTable } from '@ts-ebpf/dsl-iter';
import { loadIterator, probeIterTargets } from '@ts-ebpf/dsl-iter/kernel';

const btf = kernelBtf();

const probes = probeIterTargets(btf);
console.log(
  'iterator targets here:',
  probes
    .filter((p) => p.available)
    .map((p) => p.target)
    .join(' '),
);
for (const p of probes.filter((x) => !x.available)) console.log(`  not ${p.target}: ${p.reason}`);

// ps: one record per thread, decoded with the layout the program wrote
const { program, layout } = taskDump(btf);
{
  using ps = loadIterator(program, { name: 'ps' });
  let threads = 0;
  let me: { pid: number; ppid: number; comm: string } | undefined;
  for await (const t of ps.records(layout)) {
    threads++;
    if (t.pid === process.pid) me = t;
  }
  if (!me) throw new Error(`the task iterator did not list this process (${process.pid})`);
  console.log(`${threads} threads; this one: pid ${me.pid}, ppid ${me.ppid}, comm ${me.comm}`);
}

// open files of this process only (the iterator walks one process, given by pid)
{
  using files = loadIterator(openFilesDump(btf), { params: { pid: process.pid } });
  const lines = [];
  for await (const line of files.lines()) lines.push(line);
  console.log(`${lines.length} open files; first: ${lines.slice(0, 3).join(' | ')}`);
}

// the TCP table, with a socket listening here
const server = createServer();
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
try {
  const port = (server.address() as { port: number }).port;
  using tcp = loadIterator(tcpSocketTable(btf));
  let found = false;
  for await (const line of tcp.lines()) {
    const [family, state, lport] = line.split(' ').map(Number);
    if (lport === port) {
      found = true;
      console.log(`tcp: family ${family}, port ${lport}, ${TCP_STATES[state!]}`);
    }
  }
  if (!found) throw new Error(`the tcp iterator did not list port ${port}`);
} finally {
  server.close();
}
