/**
 * Model-based test of the memory system calls, on the testing kit
 * (`mmsim/testing`): random mmap, munmap, mprotect, madvise, brk, loads,
 * stores, fork and exit over a few processes (`processMemoryCommands`),
 * against the kit's byte-level model of each address space (which pages
 * are mapped, with which protection, holding which bytes, shared with
 * whom). After every command the contents, the faults raised and
 * /proc/<pid>/maps agree with the model, and checkInvariants() holds; at
 * the end every process exits and every frame is back (`expectAllFreed`).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  bootSmall,
  expectAllFreed,
  newProcessMemoryModel,
  processMemoryCommands,
} from '../src/testing/index.js';

describe('memory system calls against a byte-level model', () => {
  it('agree after every command, and every frame comes back at the end', () => {
    fc.assert(
      fc.property(
        fc.commands(processMemoryCommands(), { maxCommands: 40, size: 'max' }),
        (cmds) => {
          const { k, baseline } = bootSmall({ memory: '32M' });
          const { model, real } = newProcessMemoryModel(k);
          fc.modelRun(() => ({ model, real }), cmds);
          expectAllFreed(k, baseline); // every process exits first
        },
      ),
      { numRuns: 60 },
    );
  });
});
