/**
 * How `main` reports a failure: one line on stderr, or with `--json` one
 * JSON document on stdout, and the exit status. Both forms come from
 * {@link describeError}, so they always agree:
 *
 * ```
 * bad.jsonl:4: mmap: "len" must be a positive integer, got -4
 * {"error":{"code":"trace-syntax","message":"bad.jsonl:4: mmap: ...","status":2,"file":"bad.jsonl","line":4,"op":"mmap"}}
 * ```
 */
import { TraceReplayError, TraceSyntaxError } from '../trace/index.js';
import { EXIT_FAILURE, EXIT_USAGE, RuntimeFailure, UsageError } from './errors.js';

/** A failure as the CLI reports it. */
export interface CliError {
  /** `usage`, `read-failed`, `trace-syntax`, `trace-failed`, `failed`, `write-failed` or `internal`. */
  readonly code: string;
  /** The message, one line, without the `mmsim: error: ` prefix. */
  readonly message: string;
  /** The exit status. */
  readonly status: number;
  /** For trace errors: the trace's name, the line, the op's place in repeats (when inside one), the op. */
  readonly file?: string;
  readonly line?: number;
  readonly path?: string;
  readonly op?: string | null;
}

/** The failure `e` as the CLI reports it. */
export function describeError(e: unknown): CliError {
  if (e instanceof TraceSyntaxError || e instanceof TraceReplayError) {
    return {
      code: e instanceof TraceSyntaxError ? 'trace-syntax' : 'trace-failed',
      message: e.message,
      status: e instanceof TraceSyntaxError ? EXIT_USAGE : EXIT_FAILURE,
      file: e.at.file,
      line: e.at.line,
      ...(e.at.path === '' ? {} : { path: e.at.path }),
      op: e.op,
    };
  }
  if (e instanceof UsageError) return { code: e.code, message: e.message, status: EXIT_USAGE };
  if (e instanceof RuntimeFailure) {
    return { code: e.code, message: e.message, status: EXIT_FAILURE };
  }
  return {
    code: 'internal',
    message: e instanceof Error ? (e.stack ?? e.message) : String(e),
    status: EXIT_FAILURE,
  };
}

/** The line stderr gets (with its newline). Trace errors start with their `file:line:`, like a compiler's. */
export function errorText(error: CliError): string {
  if (error.line !== undefined) return `${error.message}\n`;
  if (error.code === 'internal') return `mmsim: internal error: ${error.message}\n`;
  return `mmsim: error: ${error.message}\n`;
}

/** The document stdout gets under `--json` (one line, with its newline). */
export function errorJson(error: CliError): string {
  return `${JSON.stringify({ error })}\n`;
}
