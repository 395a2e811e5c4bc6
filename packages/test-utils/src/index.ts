export {
  BENCH_RESULTS_DIR,
  type BenchFigure,
  type BenchGoal,
  type BenchReport,
  type BenchResult,
  type BenchSense,
  benchRatio,
  benchResult,
  type KoffiFloor,
  REPO_ROOT,
  reportBench,
} from './bench-report.js';
export { bpffsTestDir } from './bpffs-dir.js';
export { type ByteView, byteViews, sameForEveryView } from './byte-views.js';
export { clangSectionSlots, compileBpfC } from './clang.js';
export { leakedFds, openFds } from './fds.js';
export { type FrameOptions, frame, inetChecksum, type L4, mac, udpPayloads } from './frames.js';
export { describeKernel, itIfSupported, kernelRequired, kernelUnavailableReason } from './kernel.js';
export { catalog, type Mistake } from './mistakes.js';
export { LoopbackNetns, type RunningTool, VethPair } from './netns.js';
export { hostWords, type ProgramDebugInfo, programDebugInfo } from './program-btf.js';
export { counterProgram, hostCode, returns } from './programs.js';
export { type PureImportOptions, type PureImportResult, REFUSED, runWithoutNative } from './pure-import.js';
export { seededRandom } from './random.js';
export { socketFd } from './socket-fd.js';
export { thrownBy } from './thrown.js';
export {
  type Delegation,
  type DelegationSyscalls,
  type MountSyscalls,
  outcome,
  receiveDelegatedBpffs,
  runWithDelegatedBpffs,
  type UsernsChildResult,
} from './token-ns.js';
export { runTsChild } from './ts-child.js';
export { runWithoutEval } from './without-eval.js';
