export { leakedFds, openFds } from './fds.js';
export { counterProgram, exit, insn, movR0, program, returns } from './insns.js';
export { describeKernel, itIfSupported, kernelRequired, kernelUnavailableReason } from './kernel.js';
export { catalog, type Mistake } from './mistakes.js';
export { VethPair } from './netns.js';
export { type PureImportOptions, type PureImportResult, REFUSED, runWithoutNative } from './pure-import.js';
export { seededRandom } from './random.js';
