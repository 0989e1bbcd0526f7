/**
 * `/proc/<pid>/oom_score` and `/proc/<pid>/oom_score_adj` (fs/proc/base.c
 * of Linux 6.18: `proc_oom_score`, `oom_score_adj_read`,
 * `oom_score_adj_write`, `__set_oom_adj`).
 *
 * `oom_score` is the OOM killer's badness of the process
 * (`oom_badness`, reclaim/oom.ts) scaled to the 0..2000 range Linux has
 * always exported: `(1000 + badness * 1000 / totalpages) * 2 / 3` in C's
 * integer arithmetic, with totalpages = RAM + swap pages; 0 for a process
 * the killer may not choose (`oom_score_adj` -1000).
 *
 * Writing `oom_score_adj` follows `oom_score_adj_write`: at most 12 bytes
 * are looked at; white space around the number is ignored; the number is
 * read by `kstrtoint` with base 0 (`0x10`, `010`, a leading `+` or `-`),
 * which refuses anything else with EINVAL and a value outside an int with
 * ERANGE; a value outside -1000..1000 is EINVAL. Then `__set_oom_adj`: a
 * writer without CAP_SYS_RESOURCE may not go below the process's
 * `oom_score_adj_min` (EACCES); a writer with it sets both the value and
 * `oom_score_adj_min`. `oom_score_adj_min` starts at 0 and is inherited
 * across fork, so an unprivileged process may raise its value and lower it
 * back to 0, not below.
 */
import { KernelBug, KernelError } from '../../page/errors.js';
import { describeValue } from '../../page/validate.js';
import { totalramPages } from '../overcommit.js';
import { Process } from '../process.js';
import { OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN, oomBadness } from '../reclaim/oom.js';
import { isSpace, kstrtoint } from './kstrtox.js';

/** `PROC_NUMBUF - 1`: the bytes of a write `oom_score_adj_write` reads. */
export const OOM_SCORE_ADJ_WRITE_MAX = 12;

/**
 * `proc_oom_score`: the score /proc/<pid>/oom_score prints, 0..2000 (0 for
 * a process the OOM killer may not choose).
 *
 * @throws KernelBug when `p` is not a process.
 *
 * @example
 * ```ts
 * oomScore(k.spawn()); // 666: a small process with oom_score_adj 0
 * ```
 */
export function oomScore(p: Process): number {
  if (!(p instanceof Process)) {
    throw new KernelBug(`oomScore: ${describeValue(p)} is not a process`);
  }
  const totalPages = totalramPages(p.vm) + p.vm.swap.totalSlots;
  const badness = oomBadness(p, totalPages);
  if (badness === null || totalPages === 0) return 0;
  // (1000 + badness * 1000 / (long)totalpages) * 2 / 3, truncating as C does.
  return Math.trunc(((1000 + Math.trunc((badness * 1000) / totalPages)) * 2) / 3);
}

/** The text of /proc/<pid>/oom_score. */
export function renderOomScore(p: Process): string {
  return `${oomScore(p)}\n`;
}

/** The text of /proc/<pid>/oom_score_adj. */
export function renderOomScoreAdj(p: Process): string {
  return `${p.oomScoreAdj}\n`;
}

/**
 * `oom_score_adj_write` of `text` (what the writer's buffer holds; `count`
 * bytes were asked to be written) to process `target`. `privileged`: the
 * writer has CAP_SYS_RESOURCE. Returns `count`, as Linux does.
 *
 * @throws KernelError `EINVAL` or `ERANGE` for a bad number, `EINVAL` out of
 *   -1000..1000, `EACCES` below `oom_score_adj_min` without privilege,
 *   `ESRCH` when the process is gone. Nothing changes when it throws.
 */
export function writeOomScoreAdj(
  target: Process,
  text: string,
  count: number,
  privileged: boolean,
): number {
  let s = text.slice(0, OOM_SCORE_ADJ_WRITE_MAX);
  // strstrip
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s[a])) a++;
  while (b > a && isSpace(s[b - 1])) b--;
  s = s.slice(a, b);
  const value = kstrtoint(s);
  if (typeof value !== 'number') {
    throw new KernelError(value, `oom_score_adj: ${JSON.stringify(s)} is not an integer`);
  }
  if (value < OOM_SCORE_ADJ_MIN || value > OOM_SCORE_ADJ_MAX) {
    throw new KernelError(
      'EINVAL',
      `oom_score_adj: ${value} is outside ${OOM_SCORE_ADJ_MIN}..${OOM_SCORE_ADJ_MAX}`,
    );
  }
  if (target.state !== 'running') {
    throw new KernelError('ESRCH', `oom_score_adj: process ${target.pid} is gone`);
  }
  if (value < target.oomScoreAdjMin && !privileged) {
    throw new KernelError(
      'EACCES',
      `oom_score_adj: ${value} is below the process's minimum ${target.oomScoreAdjMin} and the writer lacks CAP_SYS_RESOURCE`,
    );
  }
  target.oomScoreAdj = value;
  if (privileged) target.oomScoreAdjMin = value;
  return count;
}
