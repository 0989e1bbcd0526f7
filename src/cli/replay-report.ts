/**
 * The report `mmsim replay` prints: the machine a replay left, read
 * through /proc as a user would read it (buddyinfo, key meminfo and
 * vmstat lines, the slabinfo rows of the trace's caches and of kmalloc
 * caches in use, dmesg's OOM lines when the OOM killer ran), and the
 * summary the demo ends with. The replay itself is the library's
 * (src/trace); this file only looks at its result.
 */
import type { ReplayResult } from '../trace/index.js';
import { plural } from './plural.js';
import { dmesgLines, procFile, procKeys, slabinfoRows } from './proc-excerpt.js';
import { machineOf, type Report } from './report.js';
import { summarize } from './summary.js';

/** The report of a finished replay. */
export function replayReport(result: ReplayResult): Report {
  const { kernel: k, processes, caches, stats } = result;
  const proc = [
    procFile(k, '/proc/buddyinfo'),
    procKeys(k, '/proc/meminfo', [
      'MemTotal',
      'MemFree',
      'MemAvailable',
      'Cached',
      'AnonPages',
      'Slab',
      'SwapTotal',
      'SwapFree',
    ]),
    procKeys(k, '/proc/vmstat', [
      'pgfault',
      'pgmajfault',
      'pswpin',
      'pswpout',
      'pgscan_kswapd',
      'pgscan_direct',
      'oom_kill',
    ]),
    slabinfoRows(k, caches, true),
  ];
  if (stats.kills.length > 0) proc.push(dmesgLines(k, /invoked oom-killer|Out of memory/));
  return {
    command: 'replay',
    machine: machineOf(k),
    sections: [
      {
        title: 'After the trace',
        text: [
          `${plural(stats.ops, 'op')} run on ${plural(processes.length, 'process', 'processes')}; the machine as /proc shows it now:`,
        ],
        proc,
      },
    ],
    summary: summarize(k, processes),
    replay: stats,
  };
}
