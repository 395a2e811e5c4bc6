import { availableParallelism } from 'node:os';
import { Program } from '@ts-ebpf/programs';
import { BpfArgumentError } from '@ts-ebpf/syscall';
import { describeValue } from '@ts-ebpf/uapi';
import type { Collection, CollectionOptions } from './collection.js';
import {
  type PreparedProgram,
  prepareProgram,
  programLoadError,
  startCollection,
} from './collection-load.js';
import type { CollectionSpec } from './collection-spec.js';

/** Options of {@link loadCollectionAsync}. */
export interface AsyncCollectionOptions extends CollectionOptions {
  /**
   * How many BPF_PROG_LOAD calls run at once, each on a worker thread of libuv's pool (whose size,
   * `UV_THREADPOOL_SIZE`, default 4, also bounds it). Default: the machine's available parallelism.
   */
  concurrency?: number;
}

/**
 * {@link loadCollection} with the object's programs verified concurrently: once the maps and the
 * object's BTF exist (created on the calling thread, as `loadCollection` creates them), the programs
 * are independent, and up to `options.concurrency` BPF_PROG_LOAD calls run at once on worker
 * threads. The kernel verifies and compiles them in parallel, so on a machine with idle cores the
 * load takes less wall time than `loadCollection` (the same work, spread over more CPUs).
 *
 * The result is the same: programs in declaration order, bound and initialised as `loadCollection`
 * does. A failure is the same error `loadCollection` throws (the first failing program in
 * declaration order, a {@link CollectionVerifierError} for a verifier rejection); the loads already
 * running are awaited and everything created is closed before it is thrown.
 *
 * Loads that ask for a verifier log (`options.logLevel`), and the logged retry of a failed load,
 * run on the calling thread. `source` must not change until the promise settles.
 * @throws BpfArgumentError for a `concurrency` that is not a positive integer, or `threads` (an
 *   option of `loadCollection`: here `concurrency` says how many loads run at once)
 */
export async function loadCollectionAsync(
  source: Uint8Array | CollectionSpec,
  options: AsyncCollectionOptions = {},
): Promise<Collection> {
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new BpfArgumentError(
      'concurrency',
      `loadCollectionAsync: ${describeValue(concurrency)} is not a positive integer`,
    );
  if (options.threads !== undefined)
    throw new BpfArgumentError(
      'threads',
      "loadCollectionAsync runs its program loads on libuv's worker threads: set options.concurrency, not options.threads (an option of loadCollection)",
    );
  const load = startCollection(source, options);
  const { toLoad, context } = load;
  const loaded: (Program | undefined)[] = new Array(toLoad.length);
  const failures: { at: number; error: unknown }[] = [];
  // Programs prepared ahead (CO-RE, relocations, load options: on this thread), each while
  // earlier ones are in the kernel; a preparation that failed is kept as that program's failure.
  const ahead: (PreparedProgram | { error: unknown } | undefined)[] = new Array(toLoad.length);
  let nextPrepare = 0;
  const prepareNext = () => {
    const at = nextPrepare++;
    try {
      ahead[at] = prepareProgram(toLoad[at]!, context);
    } catch (error) {
      ahead[at] = { error };
    }
  };
  let next = 0;
  // Each lane takes the next program in declaration order and starts its load; while the kernel
  // verifies it on a worker thread, the lane prepares a program ahead, so that this thread's work
  // overlaps the kernel's. After a failure no lane starts another load, so every program declared
  // before the first failure has been tried, as loadCollection tries them.
  const lane = async () => {
    while (next < toLoad.length && failures.length === 0) {
      const at = next++;
      if (at === nextPrepare) prepareNext();
      const prepared = ahead[at]!;
      ahead[at] = undefined;
      if ('error' in prepared) {
        failures.push({ at, error: prepared.error });
        continue;
      }
      try {
        const program = Program.loadAsync(prepared.load);
        if (nextPrepare < toLoad.length && failures.length === 0) prepareNext();
        loaded[at] = await program;
      } catch (e) {
        failures.push({ at, error: programLoadError(e, prepared) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, toLoad.length) }, lane));
  let added = 0;
  try {
    if (failures.length > 0) throw failures.reduce((a, b) => (b.at < a.at ? b : a)).error;
    for (; added < toLoad.length; added++) load.loaded(toLoad[added]!.name, loaded[added]!);
    return load.finish();
  } catch (e) {
    // The programs not yet in the collection are closed here, the rest with it.
    for (const program of loaded.slice(added)) program?.close();
    load.collection.close();
    throw e;
  }
}
