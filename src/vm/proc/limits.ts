/**
 * `/proc/<pid>/limits`: the process's resource limits, one line each
 * (`proc_pid_limits` in fs/proc/base.c of Linux 6.18): the name padded to
 * 25 columns, the soft and hard limits to 20 (`unlimited` for
 * RLIM_INFINITY), then the unit to 10, after a header line:
 *
 * ```
 * Limit                     Soft Limit           Hard Limit           Units
 * Max cpu time              unlimited            unlimited            seconds
 * Max stack size            8388608              unlimited            bytes
 * ```
 *
 * Each field is followed by a space and the unit padded, as `%-10s\n`
 * prints it (the header's last column too); the two priority limits have
 * no unit and end right after the hard limit's space.
 */
import type { Process } from '../process.js';
import { RLIM_NLIMITS, RLIM64_INFINITY_BITS } from '../resource.js';

/** `lnames`: each resource's name and unit. */
const LIMIT_NAMES: readonly (readonly [string, string | null])[] = [
  ['Max cpu time', 'seconds'],
  ['Max file size', 'bytes'],
  ['Max data size', 'bytes'],
  ['Max stack size', 'bytes'],
  ['Max core file size', 'bytes'],
  ['Max resident set', 'bytes'],
  ['Max processes', 'processes'],
  ['Max open files', 'files'],
  ['Max locked memory', 'bytes'],
  ['Max address space', 'bytes'],
  ['Max file locks', 'locks'],
  ['Max pending signals', 'signals'],
  ['Max msgqueue size', 'bytes'],
  ['Max nice priority', null],
  ['Max realtime priority', null],
  ['Max realtime timeout', 'us'],
];

/** A limit as `%-20lu`, or `unlimited`. */
function limit(bits: bigint): string {
  return (bits === RLIM64_INFINITY_BITS ? 'unlimited' : bits.toString()).padEnd(20);
}

/**
 * Renders `/proc/<pid>/limits` for `process`.
 *
 * @param process - a live process; only read.
 * @returns the file's text.
 *
 * @example
 * ```ts
 * const k = Kernel.boot({ memory: '32M' });
 * renderLimits(k.spawn()).split('\n')[9]; // 'Max locked memory         8388608              8388608              bytes     '
 * ```
 */
export function renderLimits(process: Process): string {
  let out = `${'Limit'.padEnd(26)}${'Soft Limit'.padEnd(21)}${'Hard Limit'.padEnd(21)}${'Units'.padEnd(10)}\n`;
  for (let r = 0; r < RLIM_NLIMITS; r++) {
    const [name, unit] = LIMIT_NAMES[r] as readonly [string, string | null];
    out += `${name.padEnd(25)} ${limit(process.rlimits.curBits(r))} ${limit(process.rlimits.maxBits(r))} `;
    out += unit === null ? '\n' : `${unit.padEnd(10)}\n`;
  }
  return out;
}
