/**
 * `npm run demo`: boots a machine with the default configuration and shows
 * what it is made of. It grows with each layer of the library.
 */
import { Kernel, STRUCT_PAGE_SIZE } from '../src/index.js';

const k = Kernel.boot();
const KiB = 1024;
const MiB = 1024 * KiB;

function section(title: string): void {
  console.log(`\n== ${title}`);
}

section('Machine');
console.log(
  `architecture     ${k.arch.name} (${k.arch.levels}-level page tables, ${k.arch.vaBits}-bit virtual addresses)`,
);
console.log(`page size        ${k.PAGE_SIZE} bytes (PAGE_SHIFT ${k.PAGE_SHIFT})`);
console.log(
  `memory           ${k.memory.size / MiB} MiB in ${k.memory.buffers.length} SharedArrayBuffer, ${k.memory.frames} frames`,
);
console.log(
  `struct page      ${STRUCT_PAGE_SIZE} bytes each, ${k.memMap.bytes / KiB} KiB in all, at physical ${k.memMap.base.toString(16)}`,
);

section('Zones');
for (const zone of k.zones) {
  const frames = zone.spanned;
  console.log(
    `${zone.name.padEnd(8)} ${frames === 0 ? 'empty' : `pfn ${zone.startPfn}..${zone.endPfn - 1} (${(frames * k.PAGE_SIZE) / MiB} MiB)`}`,
  );
}

section('Early reservations (memblock)');
for (const r of k.memblock.reserved) {
  console.log(
    `${r.owner.padEnd(14)} ${(r.size / KiB).toString().padStart(8)} KiB at ${r.base.toString(16)}`,
  );
}

section('dmesg');
process.stdout.write(k.dmesg());
