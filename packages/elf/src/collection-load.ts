/**
 * How an object becomes a {@link Collection}: each program's load options prepared (CO-RE,
 * relocations, func/line info), the programs loaded and added in declaration order, and a
 * failed load undone. The first step, BTF and maps, is `collection-start.ts`.
 */
import { Program, type ProgramLoadOptions, VerifierError } from '@ts-ebpf/programs';
import { BpfProgType, checkThreads } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { Collection } from './collection.js';
import type { CollectionOptions } from './collection-options.js';
import { type CollectionSpec, loadCollectionSpec, type ProgramSpec } from './collection-spec.js';
import { type CollectionLoad, startCollection } from './collection-start.js';
import { applyCoreRelocations, type CoreRelocationResult } from './core/apply.js';
import { explainCoreFailure } from './core/explain.js';
import { kernelName } from './create-maps.js';
import { CollectionVerifierError, ElfError } from './errors.js';
import { swapInstructionOrder } from './instructions.js';
import { type LoadContext, LoadToken } from './load-context.js';
import { BTF_TARGETED, programFlags } from './program-edit.js';
import { relocateInto } from './relocate.js';
import type { StructOpsAttach, StructOpsPlans } from './struct-ops.js';

/** A program's load options (CO-RE and relocations applied) and the CO-RE results that explain a rejection. */
export interface PreparedProgram {
  readonly spec: ProgramSpec;
  readonly load: ProgramLoadOptions;
  readonly core: CoreRelocationResult[];
}

export function prepareProgram(prog: ProgramSpec, ctx: LoadContext): PreparedProgram {
  const { coreExt, extInfo, localBtf, btfFd, kernel, options } = ctx;
  let instructions = prog.instructions;
  let core: CoreRelocationResult[] = [];
  if (coreExt && localBtf) {
    ({ instructions, results: core } = applyCoreRelocations(prog, coreExt, localBtf, kernel.btf));
  }
  const code = relocateInto(
    instructions === prog.instructions ? prog : { ...prog, instructions },
    ctx.targets,
    ctx.scratch,
  );
  const def = prog.sectionDef;
  const structOps = structOpsAttach(prog, ctx.structOps);
  const info = extInfo && btfFd !== undefined ? extInfo.programExtInfo(prog, ctx.scratch) : undefined;
  // fentry/fexit/fmod_ret, tp_btf, iter, lsm: the target (from the section or setAttachTarget) is a kernel BTF name.
  const onProgram = ctx.programTargets.get(prog.name);
  const tracing =
    !onProgram && def.expectedAttachType !== undefined && def.target && BTF_TARGETED.has(def.progType);
  const withInfo = info !== undefined && info.funcInfo.byteLength > 0;
  // Every field written (undefined when unset), in one order: no object spreads per program, and
  // the options of every program share one shape.
  const load: ProgramLoadOptions = {
    type: def.progType,
    // The spec holds little-endian instructions; the kernel reads them in its own order.
    instructions: HOST_BYTE_ORDER === 'little' ? code : swapInstructionOrder(code),
    license: prog.license || 'GPL',
    name: kernelName(prog.name),
    // A struct_ops program's member decides its attach type.
    expectedAttachType: structOps ? structOps.expectedAttachType : def.expectedAttachType,
    attachTo: tracing ? def.target : undefined,
    attachBtfId: structOps ? structOps.attachBtfId : onProgram?.attachBtfId,
    attachProgFd: onProgram?.attachProgFd,
    flags: programFlags(prog),
    btfFd: withInfo ? btfFd : undefined,
    funcInfo: withInfo ? info.funcInfo : undefined,
    lineInfo: withInfo ? info.lineInfo : undefined,
    logLevel: (prog.logLevel ?? options.logLevel) || undefined,
    token: ctx.token,
  };
  return { spec: prog, load, core };
}

/** A verifier rejection as the collection reports it (naming the program, explaining CO-RE); other errors as they are. */
export function programLoadError(e: unknown, prepared: PreparedProgram): unknown {
  if (e instanceof VerifierError)
    return new CollectionVerifierError(
      e,
      prepared.spec.name,
      explainCoreFailure(e.log, prepared.core)?.message,
    );
  return e;
}

function loadPrepared(prepared: PreparedProgram): Program {
  try {
    return Program.load(prepared.load);
  } catch (e) {
    throw programLoadError(e, prepared);
  }
}

/** Every program of `load` prepared, in declaration order. @internal */
export function prepareAll(load: CollectionLoad): PreparedProgram[] {
  const prepared: PreparedProgram[] = new Array(load.toLoad.length);
  for (let i = 0; i < prepared.length; i++) prepared[i] = prepareProgram(load.toLoad[i]!, load.context);
  return prepared;
}

/**
 * Adds the programs of `Program.loadEach` (or `loadEachAsync`) to the collection in declaration
 * order; the first failure in that order is thrown once every loaded program is owned (by the
 * collection, or closed here).
 * @internal
 */
export function addEach(
  load: CollectionLoad,
  prepared: readonly PreparedProgram[],
  results: readonly (Program | { readonly error: unknown })[],
): void {
  const failed = results.findIndex((r) => !(r instanceof Program));
  if (failed >= 0) {
    for (const r of results) if (r instanceof Program) r.close();
    throw programLoadError((results[failed] as { error: unknown }).error, prepared[failed]!);
  }
  let added = 0;
  try {
    // The collection owns each program from loaded() on, even when its binding throws.
    for (; added < results.length; added++)
      load.loaded(prepared[added]!.spec.name, results[added] as Program);
  } catch (e) {
    for (const r of results.slice(added + 1)) (r as Program).close();
    throw e;
  }
}

/**
 * A struct_ops program is loaded against the member its map binds it to.
 * @throws ElfError for one no `.struct_ops` map uses (the kernel cannot load it without a member)
 */
function structOpsAttach(prog: ProgramSpec, plans: StructOpsPlans): StructOpsAttach | undefined {
  if (prog.sectionDef.progType !== BpfProgType.STRUCT_OPS) return undefined;
  const attach = plans.attach.get(prog.name);
  if (!attach)
    throw new ElfError(
      `struct_ops program '${prog.name}' (section ${prog.section}) is used by no .struct_ops map, so it implements no member: reference it from a struct_ops map or leave it out with options.programs`,
    );
  return { attachBtfId: attach.attachBtfId, expectedAttachType: attach.expectedAttachType };
}

/**
 * Loads a clang-compiled BPF object: creates its maps (BTF-defined, legacy,
 * global data, kconfig), applies CO-RE and relocations, loads every program
 * with its func_info/line_info, and fills prog_array and map-in-map initial values.
 *
 * `source` is the object's bytes, or a spec from {@link loadCollectionSpec} changed through
 * `spec.adjust` (open → adjust → load); the spec's edits are checked again, as a whole,
 * before the kernel is asked. Programs set not to autoload are left out.
 *
 * Maps pinned by name (under `options.pinRoot`) or by path reuse a pin found there, else are
 * pinned; when the load fails, everything made is closed and the pins it made are removed with
 * the bpffs directories made for them (pins it reused stay), as libbpf's `bpf_object__load` does.
 * @throws SpecEditError for edits that conflict (a program type and an attach type that do not fit)
 * @throws StructOpsDataError (of `@ts-ebpf/btf`) naming the map, the member and the rule for a
 * `.struct_ops` map's data member the kernel would refuse (a name it cannot take, unknown flags,
 * a non-zero member it does not take), before anything is loaded
 * @throws UsdtAttachError for USDT programs whose `__bpf_usdt_specs` map does not hold
 * `struct __bpf_usdt_spec` values (libbpf's `usdt.bpf.h`), before anything is created
 */
export function loadCollection(
  source: Uint8Array | CollectionSpec,
  options: CollectionOptions = {},
): Collection {
  if (options.threads !== undefined) checkThreads(options.threads, 'threads');
  using token = new LoadToken(options.token);
  const load = startCollection(source, options, token.token);
  try {
    // Every program is prepared (relocated, its func/line info placed, its load options built)
    // before the first is loaded: a program that cannot be prepared fails the load before the
    // kernel verifies any, and the loads follow each other with little work between them (each
    // verification evicts from the CPU's caches the code and data that work would touch).
    const prepared = prepareAll(load);
    const threads = options.threads ?? 1;
    if (threads === 1) {
      for (const p of prepared) load.loaded(p.spec.name, loadPrepared(p));
    } else {
      addEach(
        load,
        prepared,
        Program.loadEach(
          prepared.map((p) => p.load),
          { threads },
        ),
      );
    }
    return load.finish();
  } catch (e) {
    undoLoad(load.collection);
    throw e;
  }
}

/**
 * Undoes a load that failed: closes everything it made, then removes the pins it made (as
 * libbpf's `bpf_object__load` unpins the maps it pinned, not those it reused).
 * @internal
 */
export function undoLoad(collection: Collection): void {
  try {
    collection.close();
  } finally {
    collection.removeCreatedPins();
  }
}
