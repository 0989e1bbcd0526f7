/**
 * mmsim: Linux memory management as real code over simulated physical
 * memory. The root entry exports every layer and `Kernel`, which boots a
 * machine composed of them.
 *
 * @packageDocumentation
 */
export * from './boot-options.js';
export * from './buddy/index.js';
export * from './gfp/index.js';
export { Kernel, MAX_ORDER } from './kernel.js';
export * from './page/index.js';
export * from './slab/index.js';
export * from './trace/index.js';
export * from './viz/index.js';
export * from './vm/index.js';
