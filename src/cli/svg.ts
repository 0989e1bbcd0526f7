/**
 * The pictures the CLI writes, drawn by the library's own renderers
 * (src/viz): the physical memory map of a machine, or one process's
 * address space.
 */
import type { Kernel } from '../kernel.js';
import { renderAddressSpace, renderMemoryMap } from '../viz/index.js';
import type { Process } from '../vm/process.js';

/** The memory map of `k` as an SVG document, or the address space of `process` when given. */
export function memoryMapSvg(k: Kernel, process?: Process): string {
  return process === undefined ? renderMemoryMap(k) : renderAddressSpace(process);
}
