/**
 * Workload traces as an API (`mmsim/trace`): parse, validate and replay
 * the JSON-lines traces of docs/trace-format.md, the same code
 * `mmsim replay` runs.
 *
 * - {@link parseTrace}: text in, a checked {@link Trace} out, or a
 *   {@link TraceSyntaxError} naming the line;
 * - {@link validateTrace}: the same check, returning every problem it can
 *   find instead of throwing the first;
 * - {@link replayTrace}: runs a trace on a machine it boots (or one you
 *   give it) and returns the machine, the processes the trace made and
 *   counts of what ran, or throws a {@link TraceReplayError} naming the
 *   line of the op that failed.
 *
 * Nothing here reads files or draws on a terminal: pass the text (from a
 * file, a fetch, a string), and a {@link ReplayProgress} to hear how far a
 * long replay is.
 *
 * @example
 * ```ts
 * import { parseTrace, replayTrace, TraceReplayError, TraceSyntaxError } from 'mmsim/trace';
 *
 * const text = [
 *   '{"op":"boot","memory":"16M"}',
 *   '{"op":"spawn","as":"app"}',
 *   '{"op":"mmap","proc":"app","len":"1M","as":"buf"}',
 *   '{"op":"write","map":"buf","value":"index"}',
 *   '{"op":"read","map":"buf","value":"index"}',
 * ].join('\n');
 * try {
 *   const { kernel, stats } = replayTrace(parseTrace(text, 'app.jsonl'));
 *   console.log(`${stats.ops} ops`, kernel.proc('/proc/vmstat').match(/^pgfault \d+$/m)?.[0]);
 * } catch (e) {
 *   if (e instanceof TraceSyntaxError || e instanceof TraceReplayError) {
 *     console.error(`line ${e.line}: ${e.detail}`);
 *   } else {
 *     throw e;
 *   }
 * }
 * ```
 *
 * @packageDocumentation
 */
export {
  formatLocation,
  type OpLocation,
  TraceReplayError,
  TraceSyntaxError,
} from './errors.js';
export { MAX_REPEAT, OP_NAMES } from './op-schemas.js';
export type {
  Expect,
  OpName,
  Trace,
  TraceOp,
  TraceOpBase,
  TraceRangeOp,
  WordValue,
} from './ops.js';
export {
  DEFAULT_TRACE_NAME,
  MAX_TRACE_OPS,
  parseTrace,
  type TraceValidation,
  type ValidateOptions,
  validateTrace,
} from './parse.js';
export { NO_PROGRESS, type ReplayProgress } from './progress.js';
export {
  type ReplayKill,
  type ReplayOptions,
  type ReplayResult,
  type ReplayStats,
  replayTrace,
} from './replay.js';
