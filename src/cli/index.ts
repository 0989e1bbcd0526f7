/**
 * The `mmsim` command-line tool: `main` and the pieces it is made of, for
 * tests and for programs that embed the CLI. Only this folder imports the
 * CLI's libraries (commander, cli-progress); the library entries never
 * import it. The trace parser and replayer it runs are the library's own
 * (`mmsim/trace`, src/trace).
 */
export { addBootFlags, type BootFlags, bootKernel, withFlags } from './boot-flags.js';
export { DEMO_FILE, type DemoResult, runDemo } from './demo.js';
export { type CliError, describeError, errorJson, errorText } from './error-report.js';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, RuntimeFailure, UsageError } from './errors.js';
export { bufferedIo, type CliIo } from './io.js';
export { DEMO_MIN_MEMORY, main } from './main.js';
export { plural } from './plural.js';
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
export { replayReport } from './replay-report.js';
export {
  describeMachine,
  type MachineInfo,
  type MapOutput,
  type ProcOutput,
  type ReplayStats,
  type Report,
  renderJson,
  renderText,
  type Section,
  type WrittenFile,
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
export { loadTrace, STDIN_NAME } from './trace-input.js';
