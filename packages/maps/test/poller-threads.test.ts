import { describeKernel, runTsChild } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';

describeKernel('readers in a worker thread', () => {
  it('deliver, and the worker ends cleanly with them waiting (on readable or empty rings), however it ends', () => {
    // On a worker thread the poller waits on a thread of its own: worker.terminate() runs no
    // JavaScript, and the event loop's own poll, made during the teardown, would call into
    // JavaScript that can no longer run (koffi ends the process). That thread's waits are bounded,
    // so that it cannot keep the worker from ending while nothing arrives.
    for (const [end, rings] of ['exit', 'throw', 'terminate'].flatMap((e) => [
      [e, 'readable'],
      [e, 'idle'],
    ])) {
      const r = runTsChild(new URL('./fixtures/reader-worker.ts', import.meta.url), [end!, rings!], 30_000);
      const lines = r.stdout.trim().split('\n');
      expect({
        end,
        rings,
        signal: r.signal,
        status: r.status,
        reported: lines.includes('records 3 samples 3'),
        ended: lines.at(-1),
      }).toEqual({
        end,
        rings,
        signal: null,
        status: 0,
        reported: true,
        ended: `worker exit ${end === 'exit' ? 0 : 1}`,
      });
    }
  });
});
