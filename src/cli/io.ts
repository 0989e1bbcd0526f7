/**
 * What the CLI talks to: two text writers, standard input (for a trace
 * named `-`) and, on a terminal, the stream a progress bar may draw on.
 * `process-io.ts` wires them to the process; tests pass writers that
 * collect the text, a string as standard input and no progress stream.
 */

/** The CLI's outside world. */
export interface CliIo {
  /** Writes to standard output (the report, JSON, SVG with `-`). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error (errors, warnings). */
  readonly stderr: (text: string) => void;
  /**
   * Reads all of standard input as UTF-8 text (a trace named `-`), or is
   * absent where there is none to read.
   */
  readonly readStdin?: (() => string) | undefined;
  /**
   * A terminal to draw progress bars on, or undefined for none. `bin.ts`
   * passes `process.stderr` only when `process.stderr.isTTY`, so pipes,
   * files and tests never see a bar.
   */
  readonly progressStream?: NodeJS.WritableStream | undefined;
}

/**
 * An io that collects what is written, for tests and for embedding;
 * `stdin`, if given, is what standard input holds.
 */
export function bufferedIo(
  stdin?: string,
): CliIo & { readonly out: () => string; readonly err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readStdin: stdin === undefined ? undefined : () => stdin,
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
