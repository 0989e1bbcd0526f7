/**
 * A report: what the demo or a replay shows, built once and then printed
 * either as text (headed sections, each with its /proc excerpts, then the
 * summary table) or as JSON (the same content, machine-readable). Building
 * and printing are apart so both forms always say the same thing.
 */
import type { Kernel } from '../kernel.js';
import type { ReplayStats } from '../trace/index.js';
import { plural } from './plural.js';
import type { ProcExcerpt } from './proc-excerpt.js';
import { formatKiB, renderSummary, type Summary } from './summary.js';

export type { ReplayStats } from '../trace/index.js';

/** One headed step of a report. */
export interface Section {
  readonly title: string;
  /** Narration, one line each. */
  readonly text: readonly string[];
  /** The /proc files that matter at this step. */
  readonly proc: readonly ProcExcerpt[];
}

/** The machine a report ran on (its boot configuration). */
export interface MachineInfo {
  readonly arch: string;
  readonly pageSize: number;
  /** Bytes of RAM. */
  readonly memory: number;
  readonly slab: string;
  /** Bytes of swap, 0 for none. */
  readonly swap: number;
  readonly cpus: number;
  readonly seed: number;
}

/** A file a command wrote (its path as given on the command line), for `--json`. */
export interface WrittenFile {
  readonly file: string;
  /** What it holds: `'memory map'`, `'address space of pid 1'`. */
  readonly what: string;
  readonly bytes: number;
}

/** A demo's or a replay's report. */
export interface Report {
  readonly command: 'demo' | 'replay';
  readonly machine: MachineInfo;
  readonly sections: readonly Section[];
  readonly summary: Summary;
  readonly replay?: ReplayStats;
  /** The files written (`--svg FILE`), in `--json` output only. */
  readonly wrote?: readonly WrittenFile[];
}

/** What `mmsim proc --json` prints. */
export interface ProcOutput {
  readonly command: 'proc';
  readonly machine: MachineInfo;
  /** The /proc file, e.g. `/proc/meminfo`. */
  readonly file: string;
  /** Its lines, exactly as the file has them. */
  readonly lines: readonly string[];
}

/** What `mmsim map --json` prints. */
export interface MapOutput {
  readonly command: 'map';
  readonly machine: MachineInfo;
  /** The process drawn with `--pid`, or null for physical memory. */
  readonly pid: number | null;
  readonly wrote: readonly WrittenFile[];
}

/** The machine description of a booted kernel. */
export function machineOf(k: Kernel): MachineInfo {
  return {
    arch: k.arch.name,
    pageSize: k.PAGE_SIZE,
    memory: k.config.memory,
    slab: k.config.slab,
    swap: k.config.swap === false ? 0 : k.config.swap.size,
    cpus: k.config.cpus,
    seed: k.config.seed,
  };
}

/** `x86_64, 64 MiB RAM, SLUB, no swap, seed 0` */
export function describeMachine(m: MachineInfo): string {
  const swap = m.swap === 0 ? 'no swap' : `${formatKiB(m.swap / 1024)} swap`;
  return `${m.arch}, ${formatKiB(m.memory / 1024)} RAM, ${m.slab.toUpperCase()}, ${swap}, seed ${m.seed}`;
}

function renderExcerpt(p: ProcExcerpt): string[] {
  const head = `  -- ${p.file}${p.excerpt ? ' (excerpt)' : ''}`;
  return [
    head,
    ...(p.lines.length === 0 ? ['  (no matching lines)'] : p.lines.map((l) => `  ${l}`)),
  ];
}

/** The report as text. */
export function renderText(r: Report): string {
  const out: string[] = [`mmsim ${r.command}: ${describeMachine(r.machine)}`];
  if (r.replay !== undefined) {
    const s = r.replay;
    out.push(
      `trace ${s.trace}: ${plural(s.lines, 'line')}, ${plural(s.ops, 'op')} run, ${s.skipped} skipped (process killed), ${s.expectedFailures} failed as expected`,
    );
  }
  r.sections.forEach((section, i) => {
    out.push('', `== ${i + 1}. ${section.title}`);
    out.push(...section.text);
    for (const p of section.proc) out.push('', ...renderExcerpt(p));
  });
  out.push('', '== Summary');
  out.push(...renderSummary(r.summary, r.machine.pageSize));
  if (r.replay !== undefined && r.replay.kills.length > 0) {
    out.push('');
    for (const kill of r.replay.kills) {
      out.push(
        `line ${kill.line}: the OOM killer killed "${kill.label}" (pid ${kill.pid}, ${kill.name})`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** A report (or any command's JSON output) as JSON: one document, two-space indented, ending with a newline. */
export function renderJson(r: Report | ProcOutput | MapOutput): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
