/**
 * Running the CLI as a process: `main` on the process's streams, with a
 * progress bar only when standard error is a terminal, and a closed pipe
 * (`mmsim demo | head`) ending the program quietly, as it does for other
 * command-line tools.
 */
import { readFileSync } from 'node:fs';
import type { CliIo } from './io.js';
import { main } from './main.js';

/** The process's own streams as a `CliIo`. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: () => readFileSync(0, 'utf8'),
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
  };
}

/** Runs `main(argv)` on the process's streams and sets the exit status from its result. */
export function runAsProcess(argv: readonly string[]): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  process.exitCode = main(argv, processIo());
}
