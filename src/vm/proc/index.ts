/**
 * The per-process /proc files, by path: `/proc/<pid>/maps`, `smaps` and
 * `status`.
 */
import type { Process } from '../process.js';
import { renderMaps } from './maps.js';
import { renderSmaps } from './smaps.js';
import { renderStatus } from './status.js';

const RENDERERS: Readonly<Record<string, (process: Process) => string>> = {
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
  const match = /^\/proc\/(\d+)\/(maps|smaps|status)$/.exec(path);
  if (match === null) return null;
  const process = processes.get(Number(match[1]));
  const render = RENDERERS[match[2] as string];
  return process === undefined || render === undefined ? null : render(process);
}

export { renderMaps, renderSmaps, renderStatus };
