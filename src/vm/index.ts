/**
 * `mmsim/vm`: address spaces, page tables, page faults, processes and the
 * memory system calls.
 *
 * @packageDocumentation
 */
export * from './mman.js';
