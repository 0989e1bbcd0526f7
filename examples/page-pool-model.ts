/**
 * A model-based test of your own code with the testing kit
 * (`mmsim/testing`). `PagePool` keeps freed pages in front of the page
 * allocator; commands get, put back and shrink, against a model of the
 * pages the test holds (each tagged with its own pfn). `withInvariants`
 * runs `k.checkInvariants()` after every command, and `bootSmall` with
 * `expectAllFreed` checks that everything freed is back at the end.
 *
 * A version whose `shrink` keeps one page too many fails: `checkProperty`
 * reports the shrunk counterexample with its seed and path, and
 * `replayFromReport` with `replayParameters` replays exactly that case.
 *
 * Run it with `npx tsx examples/page-pool-model.ts`.
 */
import fc from 'fast-check';
import { GFP_KERNEL, type Kernel } from 'mmsim';
import {
  bootSmall,
  checkProperty,
  expectAllFreed,
  formatReplay,
  modelAssert,
  modelEqual,
  PropertyFailure,
  replayFromReport,
  replayParameters,
  withInvariants,
} from 'mmsim/testing';

/** The code under test: a cache of free pages in front of the page allocator. */
class PagePool {
  private readonly cached: number[] = [];
  constructor(
    private readonly k: Kernel,
    private readonly keep = 0, // the planted bug: pages shrink forgets
  ) {}
  get(): number | null {
    return this.cached.pop() ?? this.k.allocPages(GFP_KERNEL, 0);
  }
  put(pfn: number): void {
    this.cached.push(pfn);
  }
  shrink(): void {
    while (this.cached.length > this.keep) this.k.freePages(this.cached.pop() as number, 0);
  }
}

interface Model {
  readonly held: number[]; // pages the test holds
}
interface Real {
  readonly k: Kernel;
  readonly pool: PagePool;
}

/** Each held page still holds its tag: the pool never handed a page out twice. */
function agree(model: Model, { k }: Real): void {
  for (const pfn of model.held) modelEqual(k.load32(k.pageAddress(pfn) ?? 0), pfn, `tag of ${pfn}`);
}

class Get implements fc.Command<Model, Real> {
  check = () => true;
  run(model: Model, real: Real): void {
    const pfn = real.pool.get();
    if (pfn === null) return; // out of memory is a result
    modelAssert(!model.held.includes(pfn), `pfn ${pfn} handed out twice`);
    real.k.store32(real.k.pageAddress(pfn) ?? 0, pfn);
    model.held.push(pfn);
    agree(model, real);
  }
  toString = () => 'get';
}

class Put implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.held.length > 0;
  run(model: Model, real: Real): void {
    const [pfn] = model.held.splice(this.pick % model.held.length, 1);
    real.pool.put(pfn as number);
    agree(model, real);
  }
  toString = () => `put(#${this.pick})`;
}

class Shrink implements fc.Command<Model, Real> {
  check = () => true;
  run(model: Model, real: Real): void {
    real.pool.shrink();
    agree(model, real);
  }
  toString = () => 'shrink';
}

// k.checkInvariants() after every command.
const commands = withInvariants<Model, Real>([
  fc.constant(new Get()),
  fc.nat().map((pick) => new Put(pick)),
  fc.constant(new Shrink()),
]);

const property = (keep: number, replayPath?: string) =>
  fc.property(fc.commands(commands, { maxCommands: 100, replayPath }), (cmds) => {
    const { k, baseline } = bootSmall({ memory: '4M' });
    const model: Model = { held: [] };
    const real: Real = { k, pool: new PagePool(k, keep) };
    fc.modelRun(() => ({ model, real }), cmds);
    for (const pfn of model.held) real.pool.put(pfn);
    real.pool.shrink();
    expectAllFreed(k, baseline); // every page is back, /proc/buddyinfo as after boot
  });

const passed = checkProperty('PagePool', property(0), { numRuns: 50, seed: 42 });
console.log(`PagePool: passed ${passed.numRuns} runs`);

try {
  checkProperty('leaky PagePool', property(1), { seed: 42 });
} catch (e) {
  if (!(e instanceof PropertyFailure)) throw e;
  for (const l of e.message.split('\n'))
    if (/^(leaky|Counterexample|Caused)/.test(l)) console.log(l);
  // What a CI log shows is enough to replay the counterexample alone.
  const replay = replayFromReport(e.message);
  const again = fc.check(property(1, replay.replayPath), replayParameters(replay));
  console.log(`replay ${formatReplay(replay)}: failed ${again.failed} after ${again.numRuns} run`);
}
