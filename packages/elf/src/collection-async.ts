import { Program } from '@ts-ebpf/programs';
import { BpfArgumentError, checkThreads } from '@ts-ebpf/syscall';
import type { Collection } from './collection.js';
import { addEach, prepareAll, undoLoad } from './collection-load.js';
import type { CollectionOptions } from './collection-options.js';
import type { CollectionSpec } from './collection-spec.js';
import { startCollection } from './collection-start.js';
import { LoadToken } from './load-context.js';

/** Options of {@link loadCollectionAsync}. */
export interface AsyncCollectionOptions extends CollectionOptions {
  /**
   * How many helper threads load programs at once (the calling thread loads none): an integer
   * from 1 to 64. Default: the machine's available parallelism, at most 4.
   */
  concurrency?: number;
}

/**
 * {@link loadCollection} with the object's programs verified on helper threads, the calling
 * thread (and its event loop) free meanwhile: once the maps and the object's BTF exist (created on
 * the calling thread, as `loadCollection` creates them) and every program is prepared, the
 * programs are independent, and `options.concurrency` helper threads load them at once (as
 * `Program.loadEachAsync` does). The kernel verifies each program on the thread that loads it, so
 * with idle cores the programs take less wall time than one after another.
 *
 * The result is the same: programs in declaration order, bound and initialised as `loadCollection`
 * does. A failure is the same error `loadCollection` throws (the first failing program in
 * declaration order, a {@link CollectionVerifierError} for a verifier rejection); every load is
 * awaited and everything created is closed before it is thrown.
 *
 * Loads that ask for a verifier log (`options.logLevel`), and the logged retry of a failed load,
 * run on the calling thread. `source` must not change until the promise settles.
 * @throws BpfArgumentError for a `concurrency` that is not a thread count (an integer from 1 to 64),
 *   or `threads` (an option of `loadCollection`: here `concurrency` says how many loads run at once)
 */
export async function loadCollectionAsync(
  source: Uint8Array | CollectionSpec,
  options: AsyncCollectionOptions = {},
): Promise<Collection> {
  const { concurrency } = options;
  if (concurrency !== undefined) checkThreads(concurrency, 'concurrency');
  if (options.threads !== undefined)
    throw new BpfArgumentError(
      'threads',
      'loadCollectionAsync loads its programs on helper threads alone: set options.concurrency, not options.threads (an option of loadCollection)',
    );
  using token = new LoadToken(options.token);
  const load = startCollection(source, options, token.token);
  try {
    const prepared = prepareAll(load);
    const results = await Program.loadEachAsync(
      prepared.map((p) => p.load),
      concurrency === undefined ? {} : { concurrency },
    );
    addEach(load, prepared, results);
    return load.finish();
  } catch (e) {
    undoLoad(load.collection);
    throw e;
  }
}
