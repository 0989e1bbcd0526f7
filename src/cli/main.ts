/**
 * The `mmsim` command line: `main(argv, io)` parses the arguments with
 * commander, runs one command and returns its exit status (0 success,
 * 1 runtime failure or unwritable output, 2 usage error or malformed
 * trace; see errors.ts). It never calls `process.exit` and writes only
 * through `io`, so tests run it in-process; `bin.ts` wires it to the real
 * process.
 *
 * Commands:
 *
 * - `demo`: the narrated scenario of demo.ts.
 * - `replay FILE`: a workload trace (docs/trace-format.md), replayed by
 *   the library's `replayTrace` (src/trace), and its report.
 * - `proc PATH`: one /proc file of the machine after the demo, after a
 *   trace (`--after FILE`), or right after boot (`--fresh`).
 * - `map --svg FILE`: the SVG memory map of the same machines.
 *
 * Every command takes `--json` (its output, and any error, as one JSON
 * document on stdout) and `-q, --quiet` (no progress bar, no "wrote"
 * messages, no report from demo and replay). A trace named `-` is read
 * from standard input. Files written are announced on stderr in one
 * wording, `mmsim: wrote FILE (WHAT, N bytes)`, or listed in the JSON
 * output under `wrote`.
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import type { Kernel } from '../kernel.js';
import { KernelError } from '../page/errors.js';
import { MIN_MEMORY } from '../page/physical-memory.js';
import { replayTrace, type Trace } from '../trace/index.js';
import { addBootFlags, type BootFlags, bootFlagsOf, bootKernel, withFlags } from './boot-flags.js';
import { runDemo } from './demo.js';
import { describeError, errorJson, errorText } from './error-report.js';
import { EXIT_OK, EXIT_USAGE, RuntimeFailure, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { createProgress, NO_PROGRESS, type Progress } from './progress.js';
import { replayReport } from './replay-report.js';
import {
  type MapOutput,
  machineOf,
  type ProcOutput,
  type Report,
  renderJson,
  renderText,
  type WrittenFile,
} from './report.js';
import { memoryMapSvg } from './svg.js';
import { loadTrace } from './trace-input.js';

/** The smallest RAM the demo's scenario runs in. */
export const DEMO_MIN_MEMORY = 2 * MIN_MEMORY;

/** How a command prints: `--json`, `--quiet`, and where progress goes. */
interface Output {
  readonly io: CliIo;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly progress: Progress;
}

/** The output options every command takes, with their help for `command`. */
function addOutputFlags(command: Command, json: string, quiet: string): Command {
  return command.option('--json', json).option('-q, --quiet', quiet);
}

/**
 * Writes `text` to `file` ("-": standard output) and returns what was
 * written, for the "wrote" message or the JSON output; null for "-".
 *
 * @throws RuntimeFailure (exit 1) when the file cannot be written
 */
function writeOutput(file: string, text: string, what: string, out: Output): WrittenFile | null {
  if (file === '-') {
    out.io.stdout(text);
    return null;
  }
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new RuntimeFailure(
      `cannot write ${JSON.stringify(file)}: ${(e as Error).message}`,
      'write-failed',
    );
  }
  return { file, what, bytes: Buffer.byteLength(text) };
}

/** The one wording of "wrote" messages, on stderr (not with --quiet or --json). */
function announce(written: readonly WrittenFile[], out: Output): void {
  if (out.quiet || out.json) return;
  for (const w of written) out.io.stderr(`mmsim: wrote ${w.file} (${w.what}, ${w.bytes} bytes)\n`);
}

/** `--svg -` and `--json` would both write standard output. */
function checkSvgTarget(svg: unknown, out: Output): void {
  if (svg === '-' && out.json) {
    throw new UsageError(
      '--svg -: with --json, standard output carries the JSON document; name a file for the SVG',
    );
  }
}

/**
 * What `demo` and `replay` print: the report as text or JSON, and the
 * memory map with `--svg`. A file is written before the report is printed,
 * so that when it cannot be, the error is the only output; `--svg -`
 * follows the report on standard output.
 */
function printReport(report: Report, kernel: Kernel, svg: unknown, out: Output): void {
  const written: WrittenFile[] = [];
  if (typeof svg === 'string' && svg !== '-') {
    const w = writeOutput(svg, memoryMapSvg(kernel), 'memory map', out);
    if (w !== null) written.push(w);
  }
  if (!out.quiet) {
    out.io.stdout(
      out.json
        ? renderJson(written.length === 0 ? report : { ...report, wrote: written })
        : renderText(report),
    );
  }
  if (svg === '-') writeOutput(svg, memoryMapSvg(kernel), 'memory map', out);
  announce(written, out);
}

/** Replays `trace` on a machine booted with its boot op and the command line's flags. */
function replay(trace: Trace, flags: BootFlags, progress: Progress) {
  const kernel = bootKernel(withFlags(trace.boot, flags));
  return replayTrace(trace, { kernel, progress });
}

/** The machine `proc` and `map` look at: after a trace, right after boot, or after the demo. */
function machineFor(
  opts: { after?: string; fresh?: boolean },
  flags: BootFlags,
  out: Output,
): Kernel {
  if (opts.after !== undefined)
    return replay(loadTrace(opts.after, out.io), flags, out.progress).kernel;
  if (opts.fresh === true) return bootKernel(withFlags({}, flags));
  return demoMachine(flags, out.progress);
}

/** Rejects RAM too small for the demo's scenario. */
function checkDemoMemory(flags: BootFlags): void {
  if (flags.memory !== undefined && flags.memory < DEMO_MIN_MEMORY) {
    throw new UsageError(
      `--memory: the demo needs at least ${DEMO_MIN_MEMORY / MIN_MEMORY}M of RAM, got ${flags.memory} bytes`,
    );
  }
}

function demoMachine(flags: BootFlags, progress: Progress): Kernel {
  checkDemoMemory(flags);
  return runDemo(withFlags({}, flags), progress).kernel;
}

const AFTER_HELP =
  'Without --after or --fresh, the machine is the one `mmsim demo` leaves (with the same boot options).';

/** Builds the program; `exit` receives each command's status. */
function program(io: CliIo, exit: (code: number) => void): Command {
  const outputOf = (opts: Record<string, unknown>): Output => {
    const quiet = opts.quiet === true;
    return {
      io,
      json: opts.json === true,
      quiet,
      progress: quiet ? NO_PROGRESS : createProgress(io.progressStream),
    };
  };
  const root = new Command('mmsim')
    .description(
      'Linux memory management as real code over simulated physical memory: boot a machine, run a narrated demo or a workload trace, and read its /proc files and memory map.',
    )
    .version(packageJson.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // One line: commander puts its "(Did you mean ...?)" on a second one.
      outputError: (text, write) => write(`mmsim: ${commanderMessage(text)}\n`),
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  mmsim demo                          the narrated tour: 64M x86_64, SLUB, no swap',
        '  mmsim demo --swap 64M --json        the same with swap, as JSON',
        '  mmsim replay examples/traces/fork-cow.jsonl',
        '  mmsim replay - < trace.jsonl        a trace on standard input',
        '  mmsim proc /proc/buddyinfo --after examples/traces/fragmentation.jsonl',
        '  mmsim map --svg memory.svg',
        '',
        'Every command takes --json (output and errors as JSON on stdout) and -q, --quiet.',
        'Exit status: 0 success, 1 a run failed (e.g. a trace op faulted) or its output could not be written,',
        '2 bad usage, or a trace that cannot be read or is malformed (nothing ran).',
      ].join('\n'),
    );

  addOutputFlags(
    addBootFlags(
      root
        .command('demo')
        .summary('a narrated tour of every layer, with the /proc files that show it')
        .description(
          'Boot a machine and run a narrated scenario through every layer: brk, file and anonymous mmaps, fork and copy on write, kmem_cache and kmalloc churn, then memory pressure that swaps (with --swap) or ends in an OOM kill (without). Each step prints the /proc lines that matter, and a summary table closes the run. The same options always give the same output.',
        ),
    ),
    'print the report as JSON (sections, /proc excerpts, summary) and nothing else',
    'print nothing but errors: no report, no progress bar, no "wrote" message',
  )
    .option('--svg <file>', 'also write the memory map at the end as SVG ("-" for standard output)')
    .action((opts: Record<string, unknown>) => {
      const out = outputOf(opts);
      const flags = bootFlagsOf(opts);
      checkDemoMemory(flags);
      checkSvgTarget(opts.svg, out);
      const { report, kernel } = runDemo(withFlags({}, flags), out.progress);
      printReport(report, kernel, opts.svg, out);
      exit(EXIT_OK);
    });

  addOutputFlags(
    addBootFlags(
      root
        .command('replay')
        .summary('replay a workload trace and summarize what it did')
        .description(
          'Replay a workload trace (JSON lines: processes, mmap/munmap/mprotect/madvise, brk, memory touches, kmalloc and kmem_cache ops; see docs/trace-format.md) and print the machine after it and the summary: faults, swap traffic, OOM kills, slab usage, fragmentation. FILE "-" reads the trace from standard input; a FILE that does not exist may name a shipped example ("mmsim replay fork-cow"). A progress bar is drawn on a terminal.',
        )
        .argument(
          '<file>',
          'the trace, one JSON op per line ("-" for standard input), or the name of a shipped example (basic, fork-cow, file-mmap, fragmentation, swap, oom)',
        ),
      "the trace's boot op",
    ),
    'print the report as JSON and nothing else',
    'print nothing but errors: no report, no progress bar, no "wrote" message',
  )
    .option(
      '--svg <file>',
      'also write the memory map after the trace as SVG ("-" for standard output)',
    )
    .action((file: string, opts: Record<string, unknown>) => {
      const out = outputOf(opts);
      checkSvgTarget(opts.svg, out);
      const trace = loadTrace(file, io);
      const result = replay(trace, bootFlagsOf(opts), out.progress);
      printReport(replayReport(result), result.kernel, opts.svg, out);
      exit(EXIT_OK);
    });

  addOutputFlags(
    addBootFlags(
      root
        .command('proc')
        .summary('print a /proc file of a machine after the demo or a trace')
        .description(
          "Print one /proc file, in Linux's format, of the machine after a trace (--after), right " +
            'after boot (--fresh), or after the demo. PATH is e.g. /proc/meminfo, /proc/buddyinfo, /proc/zoneinfo, /proc/pagetypeinfo, /proc/slabinfo, /proc/vmstat, /proc/swaps, /proc/<pid>/maps, /proc/<pid>/smaps or /proc/<pid>/status (the /proc/ prefix may be left out).',
        )
        .argument('<path>', 'the /proc file')
        .addOption(
          new Option(
            '--after <trace>',
            'replay this trace first ("-" for standard input)',
          ).conflicts('fresh'),
        )
        .option('--fresh', 'a machine right after boot'),
      "the trace's boot op",
    ),
    'print {"command", "machine", "file", "lines"} as JSON',
    'no progress bar while a trace or the demo runs (the file is still printed)',
  )
    .addHelpText('after', `\n${AFTER_HELP}`)
    .action((path: string, opts: Record<string, unknown>) => {
      const out = outputOf(opts);
      const k = machineFor(opts, bootFlagsOf(opts), out);
      const file = path.startsWith('/') ? path : `/proc/${path.replace(/^proc\//, '')}`;
      let text: string;
      try {
        text = k.proc(file);
      } catch (e) {
        if (e instanceof KernelError && e.code === 'ENOENT') {
          throw new UsageError(`no such file ${JSON.stringify(file)} (live pids: ${livePids(k)})`);
        }
        throw e;
      }
      if (out.json) {
        const lines = text.split('\n');
        if (lines.at(-1) === '') lines.pop();
        const doc: ProcOutput = { command: 'proc', machine: machineOf(k), file, lines };
        io.stdout(renderJson(doc));
      } else {
        io.stdout(text);
      }
      exit(EXIT_OK);
    });

  addOutputFlags(
    addBootFlags(
      root
        .command('map')
        .summary('write the memory map of a machine as SVG')
        .description(
          'Write a picture of physical memory (every frame by owner: free, kernel, page tables, slab, anonymous, page cache) of the machine after a trace (--after), right after boot (--fresh), or after the demo, as SVG; or, with --pid, the address space of one process.',
        )
        .requiredOption('--svg <file>', 'the SVG file to write ("-" for standard output)')
        .addOption(
          new Option(
            '--after <trace>',
            'replay this trace first ("-" for standard input)',
          ).conflicts('fresh'),
        )
        .option('--fresh', 'a machine right after boot')
        .addOption(
          new Option('--pid <n>', "draw this process's address space instead").argParser((v) => {
            if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a process id');
            return Number(v);
          }),
        ),
      "the trace's boot op",
    ),
    'print {"command", "machine", "pid", "wrote"} as JSON',
    'no progress bar, no "wrote" message (an SVG sent to "-" is still written)',
  )
    .addHelpText('after', `\n${AFTER_HELP}`)
    .action((opts: Record<string, unknown>) => {
      const out = outputOf(opts);
      checkSvgTarget(opts.svg, out);
      const k = machineFor(opts, bootFlagsOf(opts), out);
      let svg: string;
      let what = 'memory map';
      const pid = typeof opts.pid === 'number' ? opts.pid : null;
      if (pid !== null) {
        const p = k.processes.get(pid);
        if (p === undefined) {
          throw new UsageError(`--pid: no live process ${pid} (live pids: ${livePids(k)})`);
        }
        svg = memoryMapSvg(k, p);
        what = `address space of pid ${pid}`;
      } else {
        svg = memoryMapSvg(k);
      }
      const w = writeOutput(opts.svg as string, svg, what, out);
      const written = w === null ? [] : [w];
      if (out.json && !out.quiet) {
        const doc: MapOutput = { command: 'map', machine: machineOf(k), pid, wrote: written };
        io.stdout(renderJson(doc));
      }
      announce(written, out);
      exit(EXIT_OK);
    });

  return root;
}

/** `1, 2, 5`, or `none`. */
function livePids(k: Kernel): string {
  const pids = [...k.processes.keys()];
  return pids.length === 0 ? 'none' : pids.join(', ');
}

/** commander's error text on one line, without its trailing newline: "error: ... (did you mean x?)". */
function commanderMessage(text: string): string {
  return text.replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)').trimEnd();
}

/** The status a commander error ends the program with. */
function commanderStatus(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
  if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  return EXIT_USAGE;
}

/** Whether the command line asks for JSON output (`--json` before any `--`). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Runs the `mmsim` command line.
 *
 * @param argv - the arguments after the program name (`process.argv.slice(2)`)
 * @param io - where output goes, standard input, and the terminal a progress bar may use
 * @returns the exit status: 0 success, 1 runtime failure or unwritable output, 2 usage error or malformed trace
 *
 * @example
 * ```ts
 * const io = bufferedIo();
 * const status = main(['demo', '--json'], io);
 * const report = JSON.parse(io.out());
 * ```
 */
export function main(argv: readonly string[], io: CliIo): number {
  const json = wantsJson(argv);
  // Under --json, commander's own error goes into the JSON document, not to stderr.
  let commanderError = '';
  const programIo: CliIo = json
    ? {
        ...io,
        stderr: (text) => {
          commanderError += text;
        },
      }
    : io;
  let status = EXIT_OK;
  try {
    program(programIo, (code) => {
      status = code;
    }).parse([...argv], { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      const code = commanderStatus(e);
      if (json && code !== EXIT_OK) {
        const message = commanderError.replace(/^mmsim: (error: )?/, '').trimEnd() || e.message;
        io.stdout(errorJson({ code: 'usage', message, status: code }));
      } else if (json) {
        io.stderr(commanderError);
      }
      return code;
    }
    const error = describeError(e);
    io[json ? 'stdout' : 'stderr'](json ? errorJson(error) : errorText(error));
    return error.status;
  }
}
