/**
 * A toy operating system on mmsim: programs are generator functions, a
 * round-robin scheduler runs one step of one process per tick on
 * alternating CPUs, task structs live in a kmem_cache in simulated RAM,
 * fork gives a child that the scheduler runs too, and a process that
 * touches memory it has not mapped is killed with a segfault line in
 * dmesg. At the end every frame is back.
 *
 * Run it with `npx tsx examples/os-toy.ts`.
 */
import * as mm from 'mmsim';

type Program = (p: mm.Process) => Generator<void, void, void>;
const k = mm.Kernel.boot({ memory: '32M', cpus: 2 });
const boot = k.proc('/proc/buddyinfo');
// struct task { u32 pid; u32 ticks; }: the scheduler's own state, in kernel memory.
const tasks = k.kmemCacheCreate('toy_task', 8);
const runqueue: { p: mm.Process; task: number; steps: Generator<void, void, void> }[] = [];

function start(p: mm.Process, program: Program): void {
  // Slab objects are not zeroed unless asked: __GFP_ZERO is kmem_cache_zalloc.
  const task = tasks.alloc(mm.GFP_KERNEL | mm.__GFP_ZERO);
  if (task === null) throw new Error('no memory for a task');
  k.store32(task, p.pid);
  runqueue.push({ p, task, steps: program(p) });
}

const DATA = 0x401000; // the data page every spawned process has (see /proc/<pid>/maps)
const programs: Record<string, Program> = {
  *parent(p) {
    yield p.store32(DATA, 42);
    yield start(p.fork(), programs.child as Program); // the child inherits the name, as in Linux
    yield console.log(`parent still reads ${p.load32(DATA)} after the child wrote`);
  },
  *child(p) {
    yield p.store32(DATA, 7); // copy on write: the child gets its own copy of the page
    console.log(`child reads ${p.load32(DATA)}`);
  },
  *worker(p) {
    const rw = mm.PROT_READ | mm.PROT_WRITE;
    const buf = p.libc.mmap(0, 16 * k.PAGE_SIZE, rw, mm.MAP_PRIVATE | mm.MAP_ANONYMOUS, -1, 0);
    for (let i = 0; i < 16; i++) yield p.store32(buf + i * k.PAGE_SIZE, i); // a fault a step
  },
  *crasher(p) {
    yield p.store32(0, 1); // NULL: nothing is mapped there
  },
};
for (const name of ['parent', 'worker', 'crasher'])
  start(k.spawn({ name }), programs[name] as Program);

for (let tick = 0; runqueue.length > 0; tick++) {
  const t = runqueue.shift() as (typeof runqueue)[number];
  k.buddy.cpu = tick % 2; // which CPU's per-CPU page lists and TLB this step uses
  k.store32(t.task + 4, k.load32(t.task + 4) + 1);
  try {
    if (!t.steps.next().done) {
      runqueue.push(t);
      continue;
    }
  } catch (e) {
    if (!(e instanceof mm.SegmentationFault)) throw e;
    const where = `segfault at ${e.address.toString(16)} (${e.siCode})`;
    k.log.printk(mm.LogLevel.INFO, `${t.p.name}[${t.p.pid}]: ${where}`);
  }
  console.log(`${t.p.name} (pid ${k.load32(t.task)}) ends after ${k.load32(t.task + 4)} ticks`);
  t.p.exit();
  tasks.free(t.task);
}
console.log(
  k
    .dmesg()
    .split('\n')
    .find((line) => line.includes('segfault')),
);
tasks.destroy();
k.drainAllPages();
k.checkInvariants();
console.log(`every frame is back: ${k.proc('/proc/buddyinfo') === boot}`);
