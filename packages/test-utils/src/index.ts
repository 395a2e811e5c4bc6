export { type ByteView, byteViews, sameForEveryView } from './byte-views.js';
export { leakedFds, openFds } from './fds.js';
export { describeKernel, itIfSupported, kernelRequired, kernelUnavailableReason } from './kernel.js';
export { catalog, type Mistake } from './mistakes.js';
export { LoopbackNetns, VethPair } from './netns.js';
export { counterProgram, hostCode, returns } from './programs.js';
export { type PureImportOptions, type PureImportResult, REFUSED, runWithoutNative } from './pure-import.js';
export { seededRandom } from './random.js';
export { socketFd } from './socket-fd.js';
