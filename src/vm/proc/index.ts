/**
 * The per-process /proc files, by path: `/proc/<pid>/maps`, `smaps`,
 * `status` and `limits`.
 */
import type { Process } from '../process.js';
import { renderLimits } from './limits.js';
import { renderMaps } from './maps.js';
import { renderSmaps } from './smaps.js';
import { renderStatus } from './status.js';

const RENDERERS: Readonly<Record<string, (process: Process) => string>> = {
  limits: renderLimits,
  maps: renderMaps,
  smaps: renderSmaps,
  status: renderStatus,
};

/**
 * Renders `/proc/<pid>/<file>` for a live process, or returns null when the
 * path names no such file or process.
 */
export function renderProcessFile(
  processes: ReadonlyMap<number, Process>,
  path: string,
): string | null {
  if (typeof path !== 'string') return null; // exec would convert it (and throw for a Symbol)
  const match = /^\/proc\/(\d+)\/(limits|maps|smaps|status)$/.exec(path);
  if (match === null) return null;
  const process = processes.get(Number(match[1]));
  const render = RENDERERS[match[2] as string];
  return process === undefined || render === undefined ? null : render(process);
}

/**
 * The renderer of the per-process file `name` (`maps`, `smaps`, `status`),
 * or null when there is no such file (the /proc tree, procfs.ts, asks).
 */
export function processFileRenderer(name: string): ((process: Process) => string) | null {
  return Object.hasOwn(RENDERERS, name) ? (RENDERERS[name] ?? null) : null;
}

export { renderLimits, renderMaps, renderSmaps, renderStatus };
