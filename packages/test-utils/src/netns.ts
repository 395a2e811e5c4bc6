import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A script started by {@link VethPair.startScript}: its output so far, and its end. */
export interface RunningTool {
  readonly process: ChildProcess;
  /** Resolves once the script printed `ready`, or ended. */
  readonly ready: Promise<void>;
  /** Resolves with everything the script printed, once it exits 0 (rejects otherwise). */
  readonly done: Promise<string>;
}

/** A veth pair: `host` in this namespace, `peer` in a fresh network namespace `ns`. */
export class VethPair {
  readonly ns: string;
  readonly host: string;
  readonly peer: string;
  readonly hostIp: string;
  readonly peerIp: string;

  /** `tag` (a few letters) and `subnet` (0–255) keep parallel test files apart. */
  constructor(tag: string, subnet: number) {
    const id = `${tag}${process.pid % 100000}`;
    this.ns = `tsebpf-${id}`;
    this.host = `h${id}`.slice(0, 15);
    this.peer = `p${id}`.slice(0, 15);
    this.hostIp = `10.213.${subnet}.1`;
    this.peerIp = `10.213.${subnet}.2`;
  }

  /** Creates the namespace, the pair (with `queues` tx/rx queues each) and the addresses. */
  create(queues = 1): this {
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    const q = ['numtxqueues', String(queues), 'numrxqueues', String(queues)];
    ip('netns', 'add', this.ns);
    ip('link', 'add', this.host, ...q, 'type', 'veth', 'peer', 'name', this.peer, ...q, 'netns', this.ns);
    ip('addr', 'add', `${this.hostIp}/24`, 'dev', this.host);
    ip('link', 'set', this.host, 'up');
    ip('-n', this.ns, 'addr', 'add', `${this.peerIp}/24`, 'dev', this.peer);
    ip('-n', this.ns, 'link', 'set', this.peer, 'up');
    ip('-n', this.ns, 'link', 'set', 'lo', 'up');
    return this;
  }

  /** Runs a bash script inside the namespace. */
  inNs(script: string): string {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, 'bash', '-c', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns exec failed: ${r.stderr}`);
    return r.stdout;
  }

  /** Sends `n` UDP datagrams from the peer to the host side. */
  sendToHost(n: number): void {
    this.inNs(`for i in $(seq ${n}); do echo x > /dev/udp/${this.hostIp}/9; done`);
  }

  /** Sends `n` UDP datagrams from the peer to the host with unconnected sendto (no socket hash). */
  sendToHostUnconnected(n: number): void {
    const js = `const s=require('dgram').createSocket('udp4');let i=0;const f=()=>i++<${n}?s.send('x',9,'${this.hostIp}',f):s.close();f();`;
    const r = spawnSync('ip', ['netns', 'exec', this.ns, process.execPath, '-e', js], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns exec failed: ${r.stderr}`);
  }

  /** Sends `n` UDP datagrams from this namespace to the peer (out of the host side). */
  sendToPeer(n: number): void {
    execFileSync('bash', ['-c', `for i in $(seq ${n}); do echo x > /dev/udp/${this.peerIp}/9; done`]);
  }

  /** The command line that runs a TypeScript file with tsx (source conditions) inside the namespace. */
  #scriptArgs(script: string, args: readonly string[]): string[] {
    const node = [process.execPath, '--conditions=@ts-ebpf/source', '--import', 'tsx'];
    return ['netns', 'exec', this.ns, ...node, script, ...args];
  }

  /** Runs the TypeScript file `script` inside the namespace and returns what it printed. */
  runScript(script: string, ...args: string[]): string {
    const r = spawnSync('ip', this.#scriptArgs(script, args), { encoding: 'utf8', cwd: REPO_ROOT });
    if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** Starts the TypeScript file `script` inside the namespace without waiting for it. */
  startScript(script: string, ...args: string[]): RunningTool {
    const child = spawn('ip', this.#scriptArgs(script, args), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) markReady();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const done = new Promise<string>((resolve, reject) => {
      // 'close', not 'exit': the exit can come before the last of its output has been read
      child.on('close', (code) => {
        markReady();
        if (code === 0) resolve(out);
        else reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${err}`));
      });
    });
    return { process: child, ready, done };
  }

  /** Deletes the namespace (which deletes the pair); ignores what is already gone. */
  destroy(): void {
    spawnSync('ip', ['link', 'del', this.host], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', this.ns], { stdio: 'ignore' });
  }
}

/**
 * A network namespace of one test file's own with only loopback, up (`ip netns add`), deleted
 * on dispose. `tag` (a few letters) and the process id keep parallel test files apart; `mtu`
 * sets loopback's MTU (1500 makes a TCP sender's congestion window matter on loopback).
 */
export class LoopbackNetns implements Disposable {
  /** The namespace's name. */
  readonly name: string;
  /** Its path under /run/netns, for setns(). */
  readonly path: string;

  constructor(tag: string, options: { mtu?: number } = {}) {
    this.name = `tsebpf-${tag}${process.pid % 100000}`;
    this.path = `/run/netns/${this.name}`;
    execFileSync('ip', ['netns', 'add', this.name]);
    const mtu = options.mtu === undefined ? [] : ['mtu', String(options.mtu)];
    execFileSync('ip', ['-n', this.name, 'link', 'set', 'lo', ...mtu, 'up']);
  }

  /** Deletes the namespace; ignores one already gone. */
  [Symbol.dispose](): void {
    spawnSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
  }
}
