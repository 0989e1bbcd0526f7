/**
 * The `mmsim` command line: `main(argv, io)` parses the arguments with
 * commander, runs one command and returns its exit status (0 success,
 * 1 runtime failure, 2 usage error or malformed trace; see errors.ts).
 * It never calls `process.exit` and writes only through `io`, so tests run
 * it in-process; `bin.ts` wires it to the real process.
 *
 * Commands:
 *
 * - `demo`: the narrated scenario of demo.ts, as text or `--json`.
 * - `replay FILE`: a workload trace (docs/trace-format.md) and its summary.
 * - `proc PATH`: one /proc file of the machine after the demo, after a
 *   trace (`--after FILE`), or right after boot (`--fresh`).
 * - `map --svg FILE`: the SVG memory map of the same machines.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import type { Kernel } from '../kernel.js';
import { KernelError } from '../page/errors.js';
import { MIN_MEMORY } from '../page/physical-memory.js';
import { addBootFlags, type BootFlags, bootFlagsOf, bootKernel, withFlags } from './boot-flags.js';
import { runDemo } from './demo.js';
import {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  RuntimeFailure,
  TraceSyntaxError,
  UsageError,
} from './errors.js';
import type { CliIo } from './io.js';
import { createProgress, type Progress } from './progress.js';
import { type Report, renderJson, renderText } from './report.js';
import { memoryMapSvg } from './svg.js';
import type { Trace } from './trace/ops.js';
import { parseTrace } from './trace/parse.js';
import { replayTrace } from './trace/replay.js';

/** The smallest RAM the demo's scenario runs in. */
export const DEMO_MIN_MEMORY = 2 * MIN_MEMORY;

/** Reads and parses a trace file. */
export function loadTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read trace ${JSON.stringify(file)}: ${(e as Error).message}`);
  }
  return parseTrace(text, file);
}

function writeOutput(file: string, text: string, io: CliIo, what: string): void {
  if (file === '-') {
    io.stdout(text);
    return;
  }
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(
      `cannot write ${what} to ${JSON.stringify(file)}: ${(e as Error).message}`,
    );
  }
}

/** What `demo` and `replay` print: the report as text or JSON, and the memory map with `--svg`. */
function printReport(
  report: Report,
  kernel: Kernel,
  opts: Record<string, unknown>,
  io: CliIo,
): void {
  io.stdout(opts.json === true ? renderJson(report) : renderText(report));
  if (typeof opts.svg === 'string') {
    writeOutput(opts.svg, memoryMapSvg(kernel), io, 'the memory map');
    io.stderr(`mmsim: wrote the memory map to ${opts.svg}\n`);
  }
}

/** The machine `proc` and `map` look at: after a trace, right after boot, or after the demo. */
function machineFor(
  opts: { after?: string; fresh?: boolean },
  flags: BootFlags,
  progress: Progress,
): Kernel {
  if (opts.after !== undefined) return replayTrace(loadTrace(opts.after), flags, progress).kernel;
  if (opts.fresh === true) return bootKernel(withFlags({}, flags));
  return demoMachine(flags, progress);
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
  const progress = createProgress(io.progressStream);
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
      outputError: (text, write) =>
        write(`mmsim: ${text.replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')}`),
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
        '  mmsim proc /proc/buddyinfo --after examples/traces/fragmentation.jsonl',
        '  mmsim map --svg memory.svg',
        '',
        'Exit status: 0 success, 1 a run failed (e.g. a trace op faulted), 2 bad usage or a malformed trace.',
      ].join('\n'),
    );

  addBootFlags(
    root
      .command('demo')
      .summary('a narrated tour of every layer, with the /proc files that show it')
      .description(
        'Boot a machine and run a narrated scenario through every layer: brk, file and anonymous mmaps, fork and copy on write, kmem_cache and kmalloc churn, then memory pressure that swaps (with --swap) or ends in an OOM kill (without). Each step prints the /proc lines that matter, and a summary table closes the run. The same options always give the same output.',
      ),
  )
    .option(
      '--json',
      'print the report as JSON (sections, /proc excerpts, summary) and nothing else',
    )
    .option('--svg <file>', 'also write the memory map at the end as SVG')
    .action((opts: Record<string, unknown>) => {
      const flags = bootFlagsOf(opts);
      checkDemoMemory(flags);
      const { report, kernel } = runDemo(withFlags({}, flags), progress);
      printReport(report, kernel, opts, io);
      exit(EXIT_OK);
    });

  addBootFlags(
    root
      .command('replay')
      .summary('replay a workload trace and summarize what it did')
      .description(
        'Replay a workload trace (JSON lines: processes, mmap/munmap/mprotect/madvise, brk, memory touches, kmalloc and kmem_cache ops; see docs/trace-format.md) and print the machine after it and the summary: faults, swap traffic, OOM kills, slab usage, fragmentation. A progress bar is drawn on a terminal.',
      )
      .argument('<file>', 'the trace, one JSON op per line'),
    "the trace's boot op",
  )
    .option('--json', 'print the report as JSON and nothing else')
    .option('--svg <file>', 'also write the memory map after the trace as SVG')
    .action((file: string, opts: Record<string, unknown>) => {
      const trace = loadTrace(file);
      const { report, kernel } = replayTrace(trace, bootFlagsOf(opts), progress);
      printReport(report, kernel, opts, io);
      exit(EXIT_OK);
    });

  addBootFlags(
    root
      .command('proc')
      .summary('print a /proc file of a machine after the demo or a trace')
      .description(
        "Print one /proc file, in Linux's format, of the machine after a trace (--after), right " +
          'after boot (--fresh), or after the demo. PATH is e.g. /proc/meminfo, /proc/buddyinfo, /proc/zoneinfo, /proc/pagetypeinfo, /proc/slabinfo, /proc/vmstat, /proc/swaps, /proc/<pid>/maps, /proc/<pid>/smaps or /proc/<pid>/status (the /proc/ prefix may be left out).',
      )
      .argument('<path>', 'the /proc file')
      .addOption(new Option('--after <trace>', 'replay this trace first').conflicts('fresh'))
      .option('--fresh', 'a machine right after boot'),
    "the trace's boot op",
  )
    .addHelpText('after', `\n${AFTER_HELP}`)
    .action((path: string, opts: Record<string, unknown>) => {
      const k = machineFor(opts, bootFlagsOf(opts), progress);
      const file = path.startsWith('/') ? path : `/proc/${path.replace(/^proc\//, '')}`;
      let text: string;
      try {
        text = k.proc(file);
      } catch (e) {
        if (e instanceof KernelError && e.code === 'ENOENT') {
          const pids = [...k.processes.keys()];
          throw new UsageError(
            `no such file ${JSON.stringify(file)} (live pids: ${pids.length === 0 ? 'none' : pids.join(', ')})`,
          );
        }
        throw e;
      }
      io.stdout(text);
      exit(EXIT_OK);
    });

  addBootFlags(
    root
      .command('map')
      .summary('write the memory map of a machine as SVG')
      .description(
        'Write a picture of physical memory (every frame by owner: free, kernel, page tables, slab, anonymous, page cache) of the machine after a trace (--after), right after boot (--fresh), or after the demo, as SVG; or, with --pid, the address space of one process.',
      )
      .requiredOption('--svg <file>', 'the SVG file to write ("-" for standard output)')
      .addOption(new Option('--after <trace>', 'replay this trace first').conflicts('fresh'))
      .option('--fresh', 'a machine right after boot')
      .addOption(
        new Option('--pid <n>', "draw this process's address space instead").argParser((v) => {
          if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a process id');
          return Number(v);
        }),
      ),
    "the trace's boot op",
  )
    .addHelpText('after', `\n${AFTER_HELP}`)
    .action((opts: Record<string, unknown>) => {
      const k = machineFor(opts, bootFlagsOf(opts), progress);
      let svg: string;
      if (typeof opts.pid === 'number') {
        const p = k.processes.get(opts.pid);
        if (p === undefined) {
          throw new UsageError(
            `--pid: no live process ${opts.pid} (live pids: ${[...k.processes.keys()].join(', ') || 'none'})`,
          );
        }
        svg = memoryMapSvg(k, p);
      } else {
        svg = memoryMapSvg(k);
      }
      writeOutput(opts.svg as string, svg, io, 'the memory map');
      exit(EXIT_OK);
    });

  return root;
}

/** The status a commander error ends the program with. */
function commanderStatus(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
  if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  return EXIT_USAGE;
}

/**
 * Runs the `mmsim` command line.
 *
 * @param argv - the arguments after the program name (`process.argv.slice(2)`)
 * @param io - where output goes, and the terminal a progress bar may use
 * @returns the exit status: 0 success, 1 runtime failure, 2 usage error or malformed trace
 *
 * @example
 * ```ts
 * const io = bufferedIo();
 * const status = main(['demo', '--json'], io);
 * const report = JSON.parse(io.out());
 * ```
 */
export function main(argv: readonly string[], io: CliIo): number {
  let status = EXIT_OK;
  try {
    program(io, (code) => {
      status = code;
    }).parse([...argv], { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) return commanderStatus(e);
    if (e instanceof TraceSyntaxError) {
      io.stderr(`${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.stderr(`mmsim: error: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof RuntimeFailure) {
      io.stderr(`${e.at === null ? 'mmsim: error: ' : ''}${e.message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr(
      `mmsim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return EXIT_FAILURE;
  }
}
