/**
 * The CLI's errors and the exit codes they map to. Every failure the CLI
 * reports is one of these or a trace error of the library (src/trace), so
 * that `main` can turn it into one line on stderr (or, with `--json`, one
 * JSON document on stdout) and an exit code without guessing:
 *
 * | exit | error | code (`--json`) | meaning |
 * | --- | --- | --- | --- |
 * | 0 | | | success |
 * | 1 | `TraceReplayError` | `trace-failed` | a well-formed trace op failed while running (a segmentation fault, a call failing against its `expect`, a kernel bug) |
 * | 1 | `RuntimeFailure` | `failed`, `write-failed` | the demo's machine misbehaved; an output file could not be written |
 * | 1 | anything else | `internal` | a bug in mmsim |
 * | 2 | `UsageError` | `usage`, `read-failed` | a bad command line, a trace that cannot be read: nothing ran |
 * | 2 | `TraceSyntaxError` | `trace-syntax` | a malformed trace: nothing ran |
 *
 * The rule: 2 means nothing ran because the command was wrong; 1 means it
 * ran and something failed, including writing its output.
 */

/** Exit status of a successful run. */
export const EXIT_OK = 0;
/** Exit status of a run that failed while running well-formed input, or could not write its output. */
export const EXIT_FAILURE = 1;
/** Exit status of a bad command line, or a trace that cannot be read or is malformed. */
export const EXIT_USAGE = 2;

/** A bad command line: an unknown option, a bad value, a trace that cannot be read. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The `code` of the `--json` error: `'usage'` or `'read-failed'`. */
    readonly code: 'usage' | 'read-failed' = 'usage',
  ) {
    super(message);
  }
}

/**
 * Running well-formed input failed (the demo's machine misbehaved), or the
 * output it made could not be written.
 */
export class RuntimeFailure extends Error {
  override readonly name = 'RuntimeFailure';
  constructor(
    message: string,
    /** The `code` of the `--json` error: `'failed'` or `'write-failed'`. */
    readonly code: 'failed' | 'write-failed' = 'failed',
  ) {
    super(message);
  }
}
