/**
 * `/proc/uptime` (fs/proc/uptime.c `uptime_proc_show`): seconds since boot
 * and the idle time summed over every CPU, each with two decimals
 * (`"%lu.%02lu %lu.%02lu\n"`, truncated, not rounded).
 *
 * Both come from the machine's simulated clock (page/clock.ts), which
 * moves only with the work the machine does. mmsim runs that work on one
 * CPU at a time and the working CPU is never idle, so the idle time is the
 * uptime times the number of other CPUs (0 on one CPU).
 */

import { KernelBug } from '../../page/errors.js';
import { describeValue } from '../../page/validate.js';

/** Nanoseconds as `seconds.hundredths`, truncated. */
function centiseconds(ns: number): string {
  const cs = Math.floor(ns / 1e7);
  return `${Math.floor(cs / 100)}.${String(cs % 100).padStart(2, '0')}`;
}

/**
 * The text of /proc/uptime for a machine `nowNs` nanoseconds after boot
 * with `cpus` CPUs.
 *
 * @throws KernelBug for a time that is not a finite non-negative number,
 *   or a CPU count that is not a positive integer.
 *
 * @example
 * ```ts
 * renderUptime(1_234_567_890, 2); // '1.23 1.23\n'
 * ```
 */
export function renderUptime(nowNs: number, cpus: number): string {
  if (typeof nowNs !== 'number' || !Number.isFinite(nowNs) || nowNs < 0) {
    throw new KernelBug(`renderUptime: time ${describeValue(nowNs)} is not a non-negative number`);
  }
  if (typeof cpus !== 'number' || !Number.isSafeInteger(cpus) || cpus < 1) {
    throw new KernelBug(`renderUptime: cpus ${describeValue(cpus)} is not a positive integer`);
  }
  return `${centiseconds(nowNs)} ${centiseconds(nowNs * Math.max(0, cpus - 1))}\n`;
}
