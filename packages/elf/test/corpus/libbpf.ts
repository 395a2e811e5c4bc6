/**
 * The libbpf side of the differential tests: `libbpf-load.c` (a small C program linked
 * against the system's libbpf) built at test time and run on an object, and the pieces
 * both sides are compared with: xlated instructions read back from the kernel, with the
 * map ids and kernel addresses that differ from one load to the next named instead.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { addressOf, objGetInfoByFd, progInfo } from '@ts-ebpf/syscall';
import { CORPUS_DIR } from './build.js';

/** A program as libbpf loaded it (`libbpf-load`'s JSON). */
export interface LibbpfProgram {
  name: string;
  section: string;
  kernel_name: string;
  type: number;
  expected_attach_type: number;
  tag: string;
  /** Xlated instructions, hex. */
  xlated: string;
  map_ids: number[];
  gpl_compatible: boolean;
  /** Whether the program was loaded with BTF (a `btf_id`). */
  btf: boolean;
  nr_func_info: number;
  nr_line_info: number;
  attach_btf_obj_id: number;
  attach_btf_id: number;
}

/** A map as libbpf created it. */
export interface LibbpfMap {
  name: string;
  internal: boolean;
  created: boolean;
  kernel_name?: string;
  id?: number;
  type?: number;
  key_size?: number;
  value_size?: number;
  max_entries?: number;
  flags?: number;
  map_extra?: number;
  /** Whether the map was created with BTF, and with a BTF key and value type. */
  btf?: boolean;
  btf_key?: boolean;
  btf_value?: boolean;
  btf_vmlinux_value_type_id?: number;
}

/** What `libbpf-load` prints. */
export interface LibbpfResult {
  object: string;
  programs?: LibbpfProgram[];
  maps?: LibbpfMap[];
  /** `--repeat`: wall time in all and per load, and process CPU time (user + system) per load. */
  timing?: LibbpfTiming;
}

/** Options of {@link libbpfLoad}: the harness's command-line options. */
export interface LibbpfLoadOptions {
  /** The object name (libbpf's prefix of data map names); default: the file name to its first '.'. */
  name?: string;
  /** Programs not to load. */
  skip?: readonly string[];
  /** libbpf's `pin_root_path` for maps pinned by name (default /sys/fs/bpf). */
  pinRoot?: string;
  /** Open, load and close the object this many more times and report the time. */
  repeat?: number;
  /** Leave out programs and maps (timing only). */
  quiet?: boolean;
}

/** The harness failed to load the object: libbpf's answer and log. */
export class LibbpfLoadError extends Error {
  constructor(
    readonly errno: number,
    readonly log: string,
    message: string,
  ) {
    super(message);
    this.name = 'LibbpfLoadError';
  }
}

/** Builds `libbpf-load` into `dir` with gcc against the system's libbpf; returns its path. */
export function buildLibbpfLoad(dir: string): string {
  const out = join(dir, 'libbpf-load');
  execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', out, join(CORPUS_DIR, 'libbpf-load.c'), '-lbpf']);
  return out;
}

/** Runs the harness on the object at `path`. @throws LibbpfLoadError when libbpf cannot load it */
export function libbpfLoad(harness: string, path: string, options: LibbpfLoadOptions = {}): LibbpfResult {
  const args = [
    ...(options.name ? ['--name', options.name] : []),
    ...(options.skip ?? []).flatMap((p) => ['--skip', p]),
    ...(options.pinRoot ? ['--pin-root', options.pinRoot] : []),
    ...(options.repeat ? ['--repeat', String(options.repeat)] : []),
    ...(options.quiet ? ['--quiet'] : []),
    path,
  ];
  try {
    return JSON.parse(
      execFileSync(harness, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 }).toString(),
    );
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: Buffer; stderr?: Buffer };
    if (!stdout?.length) throw e;
    const r = JSON.parse(stdout.toString()) as { error: string; errno: number };
    const log = stderr?.toString() ?? '';
    throw new LibbpfLoadError(r.errno, log, `${r.error}: errno ${r.errno}\n${log}`);
  }
}

/** Per-load times of `libbpf-load --repeat N` / `--serve`. */
export interface LibbpfTiming {
  repeat: number;
  ns_total: number;
  ns_per_load: number;
  cpu_ns_per_load: number;
  /** Minor page faults of the process during the N loads. */
  minor_faults: number;
}

/** A running `libbpf-load --serve`: times loads on request without a new process per round. */
export interface LibbpfLoadServer {
  /** Opens, loads and closes the object `n` times in the server and returns its times. */
  time(n: number): Promise<LibbpfTiming>;
  /** Ends the server (closes its stdin) and waits for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts `libbpf-load --quiet --serve` on the object at `path`, once: a benchmark that spawned
 * the harness for every round would fork its own process each time, and a fork write-protects
 * every page of the parent, whose next writes then fault (hundreds of page faults charged to
 * whatever the parent measures next). Resolves once the first load has succeeded.
 * @throws LibbpfLoadError when libbpf cannot load the object
 */
export async function libbpfLoadServer(harness: string, path: string): Promise<LibbpfLoadServer> {
  const child = spawn(harness, ['--quiet', '--serve', path], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let pending = '';
  const waiting: ((line: string | undefined) => void)[] = [];
  const lines: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const ended = () => {
    for (const w of waiting.splice(0)) w(undefined);
  };
  void exited.then(ended);
  child.on('error', (e) => {
    stderr += String(e);
    ended();
  });
  const nextLine = async (): Promise<Record<string, unknown>> => {
    const line = lines.shift() ?? (await new Promise<string | undefined>((r) => waiting.push(r)));
    if (line === undefined) throw new Error(`libbpf-load --serve ended: ${stderr}`);
    const r = JSON.parse(line) as Record<string, unknown>;
    if (typeof r.error === 'string')
      throw new LibbpfLoadError(Number(r.errno), stderr, `${r.error}: errno ${r.errno}\n${stderr}`);
    return r;
  };
  const close = async () => {
    child.stdin.end();
    await exited;
    for (const stream of [child.stdin, child.stdout, child.stderr]) stream.destroy();
    // The pipes' fds are closed by the event loop after 'close': let it run once.
    await new Promise((resolve) => setImmediate(resolve));
  };
  try {
    await nextLine();
  } catch (e) {
    await close();
    throw e;
  }
  return {
    async time(n) {
      if (!child.stdin.writable) throw new Error('libbpf-load --serve ended: closed');
      child.stdin.write(`${n}\n`);
      return (await nextLine()) as unknown as LibbpfTiming;
    },
    close,
  };
}

/** The xlated instructions of a loaded program (`bpf_prog_info.xlated_prog_insns`). */
export function xlatedOf(fd: number): Uint8Array {
  const { xlatedProgLen } = progInfo(fd);
  const insns = new Uint8Array(xlatedProgLen);
  const info = new Uint8Array(40); // struct bpf_prog_info up to and including xlated_prog_insns
  const v = new DataView(info.buffer);
  v.setUint32(20, xlatedProgLen, true); // xlated_prog_len
  v.setBigUint64(32, addressOf(insns), true); // xlated_prog_insns
  objGetInfoByFd(fd, info);
  return insns;
}

/** How many `func_info` and `line_info` records the kernel keeps for a loaded program. */
export function debugInfoCounts(fd: number): { nrFuncInfo: number; nrLineInfo: number } {
  const info = new Uint8Array(152); // struct bpf_prog_info up to and including nr_line_info
  objGetInfoByFd(fd, info);
  const v = new DataView(info.buffer);
  return { nrFuncInfo: v.getUint32(144, true), nrLineInfo: v.getUint32(148, true) };
}

/** Kernel addresses (x86-64's upper half) in a plain ld_imm64 differ from one load to the next. */
const KERNEL_ADDRESS = 0xffff800000000000n;

/**
 * Xlated instructions as text, one per instruction, comparable across loads: a map
 * reference (ld_imm64 src 1 or 2, whose immediate the kernel shows as the map id) names
 * the map by `mapKey(id)`; a kernel address loaded by ld_imm64 src 0 (e.g. `prog->aux`,
 * which the verifier adds for bpf_timer_set_callback) reads `kernel address`.
 */
export function normalizeXlated(xlated: Uint8Array, mapKey: (id: number) => string): string[] {
  const v = new DataView(xlated.buffer, xlated.byteOffset, xlated.byteLength);
  const out: string[] = [];
  const hex = (o: number) =>
    Array.from(xlated.subarray(o, o + 8), (b) => b.toString(16).padStart(2, '0')).join('');
  for (let o = 0; o + 8 <= xlated.byteLength; o += 8) {
    const op = xlated[o]!;
    const src = xlated[o + 1]! >> 4;
    if (op === 0x18 && o + 16 <= xlated.byteLength) {
      const lo = v.getUint32(o + 4, true);
      const hi = v.getUint32(o + 12, true);
      const head = hex(o).slice(0, 8);
      if (src === 1 || src === 2) {
        out.push(`${head} map ${mapKey(lo)} + ${hi}`, 'ld_imm64 (second half)');
        o += 8;
        continue;
      }
      if (src === 0 && ((BigInt(hi) << 32n) | BigInt(lo)) >= KERNEL_ADDRESS) {
        out.push(`${head} kernel address`, 'ld_imm64 (second half)');
        o += 8;
        continue;
      }
    }
    out.push(hex(o));
  }
  return out;
}
