import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { isMainThread } from 'node:worker_threads';
import { bpf } from '@ts-ebpf/dsl';
import { BpfSyscallError, gettid, syscallTable } from '@ts-ebpf/syscall';
import { describeKernel, hostCode } from '@ts-ebpf/test-utils';
import { BpfProgType, EbpfError, Errno } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { LoadInterruptedError, Program, VerifierError } from '../src/index.js';

// r1 = 0; do r1 += 1 while r1 < rounds; r0 = 0; exit: the verifier walks every round
// (~200 ms for 400 000 rounds), and stops with EAGAIN when a signal is pending.
const slowToVerify = (rounds: number) =>
  hostCode(bpf`
    r1 = 0
    r1 += 1
    if r1 < ${rounds} goto -2
    r0 = 0
    exit`);

describeKernel('a load that signals interrupt on every retry', () => {
  // A handler for SIGUSR2 can be installed from the main thread only (vitest runs each test
  // file in a process of its own); elsewhere the signal would end the process.
  it.runIf(isMainThread)(
    'is a LoadInterruptedError with the EAGAIN cause, not a VerifierError',
    async () => {
      const instructions = slowToVerify(400_000);
      let signals = 0;
      const count = () => {
        signals++;
      };
      process.on('SIGUSR2', count);
      // Another process sends this thread SIGUSR2 every 2 ms until it is stopped, with tgkill.
      const script = `$SIG{TERM} = sub { exit 0 }; while (1) { select(undef, undef, undef, 0.002); syscall(${syscallTable().tgkill}, ${process.pid}, ${gettid()}, 12) == 0 or die "tgkill: $!" }`;
      const child = spawn('perl', ['-e', script], { stdio: 'inherit' });
      const exited = once(child, 'exit');
      let thrown: unknown;
      try {
        // let the first signal arrive before the load starts
        await new Promise((r) => setTimeout(r, 50));
        try {
          Program.load({ type: BpfProgType.SOCKET_FILTER, instructions, name: 'slow' }).close();
        } catch (e) {
          thrown = e;
        }
      } finally {
        child.kill('SIGTERM');
        expect((await exited)[0]).toBe(0);
        process.off('SIGUSR2', count);
      }
      expect(signals).toBeGreaterThan(0);
      expect(thrown).toBeInstanceOf(LoadInterruptedError);
      expect(thrown).toBeInstanceOf(EbpfError);
      expect(thrown).not.toBeInstanceOf(VerifierError);
      const e = thrown as LoadInterruptedError;
      expect(e.message).toMatch(
        /'slow'.*interrupted by a signal on every attempt \(EAGAIN\).*retries were exhausted/,
      );
      expect(e.programName).toBe('slow');
      expect(e.cause).toBeInstanceOf(BpfSyscallError);
      expect((e.cause as BpfSyscallError).errno).toBe(Errno.EAGAIN);
      // With the signals gone, the same program loads.
      Program.load({ type: BpfProgType.SOCKET_FILTER, instructions, name: 'slow' }).close();
    },
    20_000,
  );
});
