import { spawn } from 'node:child_process';
import { readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './bench-report.js';

/**
 * The `@ts-ebpf/syscall` calls the parent side needs, passed in by the test (this package does
 * not depend on syscall): `import * as sys from '@ts-ebpf/syscall'` fits.
 */
export interface DelegationSyscalls {
  pidfdOpen(pid: number): number;
  pidfdGetfd(pidfd: number, targetfd: number): number;
  fsconfig(fd: number, cmd: 1 | 6, key?: string | null, value?: string | null): void;
  close(fd: number): void;
  readonly FsconfigCmd: { readonly SET_STRING: 1; readonly CMD_CREATE: 6 };
}

/** What the bpffs delegates (`delegate_cmds` …: `'any'` or colon-separated names); null: nothing. */
export interface Delegation {
  readonly cmds?: string;
  readonly maps?: string;
  readonly progs?: string;
  readonly attachs?: string;
}

/** What a child run in a user namespace printed, and how it ended. */
export interface UsernsChildResult {
  readonly status: number | null;
  /** The child's last stdout line, parsed as JSON (its report). */
  readonly report: Record<string, unknown>;
  readonly stderr: string;
}

const FSOPEN_LINE = /^fsopen (\d+) (\d+)$/m;

/**
 * Runs the TypeScript module `script` (tsx, source conditions) as root of a new user and mount
 * namespace (`unshare -U -m --map-root-user`), the way a container runtime starts a container
 * that may use BPF tokens: the child opens a bpffs context ({@link receiveDelegatedBpffs} makes
 * `fsopen('bpf')` there); this process, root in the initial namespace, takes that fd with
 * pidfd_getfd, sets the `delegation` options (none when null) and creates the superblock; the
 * child then mounts it (detached, in its own mount namespace: nothing is left mounted when it
 * ends) and makes its token. The child prints its report as JSON on its last stdout line.
 */
export function runWithDelegatedBpffs(
  sys: DelegationSyscalls,
  script: URL,
  delegation: Delegation | null,
  args: readonly string[] = [],
  timeoutMs = 60_000,
): Promise<UsernsChildResult> {
  const node = [process.execPath, '--import', 'tsx', '--conditions=@ts-ebpf/source', fileURLToPath(script)];
  const child = spawn('unshare', ['-U', '-m', '--map-root-user', ...node, ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let out = '';
  let err = '';
  let delegated = false;
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = FSOPEN_LINE.exec(out);
      if (!m || delegated) return;
      delegated = true;
      try {
        delegate(sys, Number(m[1]), Number(m[2]), delegation);
        child.stdin.write('created\n');
      } catch (e) {
        child.kill();
        reject(e);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve({ status, report: JSON.parse(last) as Record<string, unknown>, stderr: err });
      } catch {
        reject(new Error(`the user-namespace child exited ${status} without a report: ${out}\n${err}`));
      }
    });
  });
}

/** Configures the child's bpffs context `fd` (pid `pid`) and creates its superblock. */
function delegate(sys: DelegationSyscalls, pid: number, fd: number, delegation: Delegation | null): void {
  const pidfd = sys.pidfdOpen(pid);
  try {
    const fs = sys.pidfdGetfd(pidfd, fd);
    try {
      for (const [key, value] of Object.entries(delegation ?? {})) {
        if (value !== undefined) sys.fsconfig(fs, sys.FsconfigCmd.SET_STRING, `delegate_${key}`, value);
      }
      sys.fsconfig(fs, sys.FsconfigCmd.CMD_CREATE);
    } finally {
      sys.close(fs);
    }
  } finally {
    sys.close(pidfd);
  }
}

/** The `@ts-ebpf/syscall` calls the child side needs (`import * as sys from '@ts-ebpf/syscall'` fits). */
export interface MountSyscalls {
  fsopen(fsname: string): number;
  fsmount(fd: number): number;
  close(fd: number): void;
}

/**
 * The child side of {@link runWithDelegatedBpffs}: opens a bpffs context, has the parent
 * delegate and create it, and mounts it (detached). @returns the mount's fd (an O_PATH fd of
 * its root, which `BpfToken.create` takes; `/proc/self/fd/<fd>` is its path)
 */
export function receiveDelegatedBpffs(sys: MountSyscalls): number {
  const fs = sys.fsopen('bpf');
  try {
    awaitDelegation(fs);
    return sys.fsmount(fs);
  } finally {
    sys.close(fs);
  }
}

/** Tells the parent the bpffs context `fsFd` and waits until it has configured and created it. */
function awaitDelegation(fsFd: number): void {
  process.stdout.write(`fsopen ${process.pid} ${fsFd}\n`);
  const buf = Buffer.alloc(64);
  let line = '';
  while (!line.includes('\n')) {
    const n = readSync(0, buf, 0, buf.length, null);
    if (n === 0) throw new Error('the parent closed stdin before delegating the bpffs');
    line += buf.toString('utf8', 0, n);
  }
}

/** What `fn` gave: 'ok' (closing the object it made), or the error's name and message. */
export function outcome(fn: () => { close(): void }): string {
  try {
    fn().close();
    return 'ok';
  } catch (e) {
    const { name, message } = e as Error;
    return `${name}: ${message}`;
  }
}
