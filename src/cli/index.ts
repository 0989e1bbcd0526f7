/**
 * The `mmsim` command-line tool: `main` and the pieces it is made of, for
 * tests and for programs that embed the CLI. Only this folder imports the
 * CLI's libraries (commander, cli-progress); the library entries never
 * import it.
 */
export { addBootFlags, type BootFlags, bootKernel, withFlags } from './boot-flags.js';
export { DEMO_FILE, type DemoResult, runDemo } from './demo.js';
export {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type OpLocation,
  RuntimeFailure,
  TraceSyntaxError,
  UsageError,
} from './errors.js';
export { bufferedIo, type CliIo } from './io.js';
export { DEMO_MIN_MEMORY, loadTrace, main } from './main.js';
export {
  type ProcExcerpt,
  procFile,
  procKeys,
  procLines,
  slabinfoRows,
  smapsOf,
} from './proc-excerpt.js';
export { processIo, runAsProcess } from './process-io.js';
export { createProgress, NO_PROGRESS, type Progress } from './progress.js';
export {
  describeMachine,
  type MachineInfo,
  type ReplayStats,
  type Report,
  renderJson,
  renderText,
  type Section,
} from './report.js';
export {
  FRAGMENTATION_ORDER,
  type Fragmentation,
  fragmentationOf,
  parseBuddyinfo,
  renderSummary,
  type Summary,
  summarize,
} from './summary.js';
export { memoryMapSvg } from './svg.js';
export type { Trace, TraceOp } from './trace/ops.js';
export { MAX_REPEAT, OP_NAMES, parseTrace } from './trace/parse.js';
export { type ReplayResult, replayTrace } from './trace/replay.js';
