/**
 * Excerpts of /proc files: the lines that matter at one step of a report,
 * taken from the text `Kernel.proc` renders (the CLI reads /proc as a user
 * would, never the kernel's internals). Each excerpt keeps the file's own
 * lines, unchanged and in the file's order.
 */
import type { Kernel } from '../kernel.js';

/** Lines of one /proc file (or of dmesg), as a report shows them. */
export interface ProcExcerpt {
  /** `/proc/meminfo`, `/proc/1/maps`, or `dmesg`. */
  readonly file: string;
  /** The lines shown, exactly as the file has them. */
  readonly lines: readonly string[];
  /** True when `lines` is a selection, false when it is the whole file. */
  readonly excerpt: boolean;
}

function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The whole file. */
export function procFile(k: Kernel, file: string): ProcExcerpt {
  return { file, lines: linesOf(k.proc(file)), excerpt: false };
}

/** The lines of a `Key: value` file (meminfo, status) or a `key value` file (vmstat) whose key is in `keys`. */
export function procKeys(k: Kernel, file: string, keys: readonly string[]): ProcExcerpt {
  const wanted = new Set(keys);
  const lines = linesOf(k.proc(file)).filter((line) => {
    const key = /^([^\s:]+):?\s/.exec(line)?.[1];
    return key !== undefined && wanted.has(key);
  });
  return { file, lines, excerpt: true };
}

/** The lines of a file that `keep` accepts. */
export function procLines(k: Kernel, file: string, keep: (line: string) => boolean): ProcExcerpt {
  const all = linesOf(k.proc(file));
  const lines = all.filter(keep);
  return { file, lines, excerpt: lines.length !== all.length };
}

/** /proc/slabinfo's two header lines and the rows of the named caches (and of kmalloc caches in use, if asked). */
export function slabinfoRows(
  k: Kernel,
  names: readonly string[],
  kmallocInUse = false,
): ProcExcerpt {
  const wanted = new Set(names);
  return procLines(k, '/proc/slabinfo', (line) => {
    if (line.startsWith('slabinfo') || line.startsWith('#')) return true;
    const [name = '', active = '0'] = line.split(/\s+/);
    return wanted.has(name) || (kmallocInUse && name.startsWith('kmalloc-') && Number(active) > 0);
  });
}

/** The VMA of /proc/<pid>/smaps that starts at `start`, with the fields in `keys`. */
export function smapsOf(
  k: Kernel,
  pid: number,
  start: number,
  keys: readonly string[],
): ProcExcerpt {
  const file = `/proc/${pid}/smaps`;
  const startHex = start.toString(16).padStart(8, '0');
  const wanted = new Set(keys);
  let inside = false;
  const lines = linesOf(k.proc(file)).filter((line) => {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      inside = line.startsWith(`${startHex}-`);
      return inside;
    }
    const key = /^([^\s:]+):/.exec(line)?.[1];
    return inside && key !== undefined && wanted.has(key);
  });
  return { file, lines, excerpt: true };
}

/** The lines of dmesg that `pattern` matches. */
export function dmesgLines(k: Kernel, pattern: RegExp): ProcExcerpt {
  const lines = linesOf(k.dmesg()).filter((line) => pattern.test(line));
  return { file: 'dmesg', lines, excerpt: true };
}

/** The value of `key` in a `Key: value` or `key value` /proc file, as a number (NaN if absent). */
export function procValue(k: Kernel, file: string, key: string): number {
  for (const line of linesOf(k.proc(file))) {
    const m = /^([^\s:]+):?\s+(-?\d+)/.exec(line);
    if (m !== null && m[1] === key) return Number(m[2]);
  }
  return Number.NaN;
}
