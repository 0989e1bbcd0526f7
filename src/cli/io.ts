/**
 * What the CLI talks to: two text writers and, on a terminal, the stream a
 * progress bar may draw on. `bin.ts` wires them to the process; tests pass
 * writers that collect the text and no progress stream.
 */

/** The CLI's outside world. */
export interface CliIo {
  /** Writes to standard output (the report, JSON, SVG with `-`). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error (errors, warnings). */
  readonly stderr: (text: string) => void;
  /**
   * A terminal to draw progress bars on, or undefined for none. `bin.ts`
   * passes `process.stderr` only when `process.stderr.isTTY`, so pipes,
   * files and tests never see a bar.
   */
  readonly progressStream?: NodeJS.WritableStream | undefined;
}

/** An io that collects what is written, for tests and for embedding. */
export function bufferedIo(): CliIo & { readonly out: () => string; readonly err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
