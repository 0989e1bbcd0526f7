/**
 * The boot configuration: what `Kernel.boot` accepts, its defaults, and
 * validation that names the option at fault (`KernelError` `EINVAL`).
 * The whole configuration is checked before anything is built.
 */
import { ARCH_NAMES, type ArchName, getArch } from './page/arch.js';
import { KernelError } from './page/errors.js';
import { MAX_MEMORY, MIN_MEMORY } from './page/physical-memory.js';
import { describeValue } from './page/validate.js';
import { SLAB_KINDS, type SlabKind } from './slab/slab-kind.js';
import type { SlabFactory } from './slab/slab-layer.js';

/** Fault injection, as Documentation/fault-injection describes its knobs. */
export interface FaultInjection {
  /** Chance of failing an eligible call, in percent (0..100). */
  readonly probability: number;
  /** Fail only every `interval`-th eligible call (default 1). */
  readonly interval?: number;
  /** How many failures at most; -1 for no limit (default -1). */
  readonly times?: number;
  /** Seed of this injector's random choices (default: the boot seed). */
  readonly seed?: number;
  /** Spare allocations that may sleep (`ignore-gfp-wait`, default false). */
  readonly ignoreGfpWait?: boolean;
}

/** Swap configuration. */
export interface SwapOptions {
  /** Bytes of swap, or a size string such as `'64M'`. */
  readonly size: number | string;
  /** A host file to hold the swap area (Node only); simulated in memory when absent. */
  readonly file?: string;
}

/** Options of `Kernel.boot`. */
export interface BootOptions {
  /** Architecture profile (default `'x86_64'`). */
  readonly arch?: ArchName;
  /** Bytes of RAM, or a size such as `'64M'` or `'1G'` (default 64 MiB). */
  readonly memory?: number | string;
  /**
   * Slab allocator (default `'slub'`): a built-in one by name, or a
   * factory that builds your own over the machine's page allocator
   * (a {@link SlabFactory} returning a `SlabLayer`; see `mmsim/testing`'s
   * `checkSlabAllocatorConformance` to test it).
   */
  readonly slab?: SlabKind | SlabFactory;
  /** Swap area, or `false` for none (the default). */
  readonly swap?: false | SwapOptions;
  /** Number of CPUs, 1..64 (default 1). */
  readonly cpus?: number;
  /** Seed of every random choice (default 0). */
  readonly seed?: number;
  /** Slab debugging, as the `slub_debug=` boot option (e.g. `'FZPU'`, `'P,kmalloc-64'`). */
  readonly slubDebug?: string;
  /** Fault injection for slab allocations (`failslab`). */
  readonly failslab?: FaultInjection;
  /** Fault injection for page allocations (`fail_page_alloc`). */
  readonly failPageAlloc?: FaultInjection;
  /**
   * Who chooses the pages reclaim takes: `'lru-2q'` (the default) is
   * Linux's own active and inactive lists; `'fifo'`, `'lru'` and `'clock'`
   * replace them for what-if experiments. (`'opt'` needs the future and is
   * only for `simulatePolicy`.)
   */
  readonly reclaimPolicy?: ReclaimPolicyName;
}

/** Replacement policies reclaim can run with (`BootOptions.reclaimPolicy`). */
export const RECLAIM_POLICIES = ['lru-2q', 'fifo', 'lru', 'clock'] as const;
/** A replacement policy reclaim can run with. */
export type ReclaimPolicyName = (typeof RECLAIM_POLICIES)[number];

/** `slub_debug=` parsed: debug letters and the caches they apply to. */
export interface SlubDebugConfig {
  /** Upper-case debug letters, e.g. `'FZPU'`. */
  readonly flags: string;
  /** Cache names the letters apply to; empty means every cache. */
  readonly caches: readonly string[];
}

/** A fault injector's settings with every default filled in. */
export type FaultInjectionConfig = Required<FaultInjection>;

/** The validated boot configuration, every default filled in. */
export interface BootConfig {
  readonly arch: ArchName;
  /** Bytes of RAM (a whole number of pages). */
  readonly memory: number;
  /** The slab allocator: a built-in one's name, or `'custom'` when a factory built it. */
  readonly slab: SlabKind | 'custom';
  /** The factory given as `slab`, or `null` for a built-in allocator. */
  readonly slabFactory: SlabFactory | null;
  readonly swap: false | { readonly size: number; readonly file?: string };
  readonly cpus: number;
  readonly seed: number;
  readonly slubDebug: SlubDebugConfig | null;
  readonly failslab: FaultInjectionConfig | null;
  readonly failPageAlloc: FaultInjectionConfig | null;
  readonly reclaimPolicy: ReclaimPolicyName;
}

const OPTION_NAMES = new Set([
  'arch',
  'memory',
  'slab',
  'swap',
  'cpus',
  'seed',
  'slubDebug',
  'failslab',
  'failPageAlloc',
  'reclaimPolicy',
]);
/** slub_debug letters (Documentation/mm/slub.rst); '-' switches debugging off. */
const SLUB_DEBUG_LETTERS = 'FZPUTAO-';
/** The most CPUs a machine may have. */
export const MAX_CPUS = 64;

/** Whether `value` is one of `choices`. */
function isOneOf<T extends string>(value: unknown, choices: readonly T[]): value is T {
  return typeof value === 'string' && (choices as readonly string[]).includes(value);
}

/** `value`, or `fallback` when it is undefined; `null` is a value (and is rejected later). */
function given<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

function invalid(option: string, message: string): KernelError {
  // `option` comes from callers of parseSize too: describe anything that is not a string.
  const name = typeof option === 'string' ? option : describeValue(option);
  return new KernelError('EINVAL', `Kernel.boot: ${name}: ${message}`);
}

/**
 * Parses a size as the kernel's `memparse` does: an integer (decimal or
 * `0x` hex) with an optional K, M, G, T suffix (powers of 1024, any case,
 * an optional trailing `B` or `iB` allowed). Numbers are taken as bytes.
 *
 * @throws KernelError `EINVAL` naming `option` for anything else.
 */
export function parseSize(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw invalid(option, `${value} is not a non-negative integer number of bytes`);
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw invalid(
      option,
      `expected a number of bytes or a size string such as '64M', got ${typeof value}`,
    );
  }
  const match = /^\s*(0x[0-9a-f]+|\d+)\s*([kmgt]?)(i?b)?\s*$/i.exec(value);
  if (!match) {
    throw invalid(
      option,
      `${JSON.stringify(value)} is not a size (expected e.g. '512K', '64M', '1G')`,
    );
  }
  const digits = match[1] as string;
  const suffix = (match[2] ?? '').toLowerCase();
  const shift = { '': 0, k: 10, m: 20, g: 30, t: 40 }[suffix] ?? 0;
  const bytes = Number(digits) * 2 ** shift;
  if (!Number.isSafeInteger(bytes)) throw invalid(option, `${JSON.stringify(value)} is too large`);
  return bytes;
}

function parseInteger(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(option, `${String(value)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

function parseSlubDebug(value: unknown): SlubDebugConfig {
  if (typeof value !== 'string')
    throw invalid('slubDebug', `expected a string such as 'FZPU', got ${typeof value}`);
  const [letters = '', ...caches] = value.split(',');
  const flags = letters.toUpperCase();
  for (const letter of flags) {
    if (!SLUB_DEBUG_LETTERS.includes(letter)) {
      throw invalid(
        'slubDebug',
        `unknown debug letter ${JSON.stringify(letter)} (expected letters of ${SLUB_DEBUG_LETTERS})`,
      );
    }
  }
  if (caches.some((c) => c.trim() === ''))
    throw invalid('slubDebug', `empty cache name in ${JSON.stringify(value)}`);
  // An empty letter list means "all debugging", as slub_debug with no letters does.
  return { flags: flags === '' ? 'FZPU' : flags, caches: caches.map((c) => c.trim()) };
}

function parseFaultInjection(
  value: unknown,
  option: string,
  bootSeed: number,
): FaultInjectionConfig {
  if (typeof value !== 'object' || value === null)
    throw invalid(option, 'expected an object with a probability');
  const known = new Set(['probability', 'interval', 'times', 'seed', 'ignoreGfpWait']);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw invalid(option, `unknown field ${JSON.stringify(key)}`);
  }
  const v = value as Record<string, unknown>;
  const probability = v.probability;
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 100)) {
    throw invalid(
      `${option}.probability`,
      `${String(probability)} is not a percentage from 0 to 100`,
    );
  }
  const ignoreGfpWait = given(v.ignoreGfpWait, false);
  if (typeof ignoreGfpWait !== 'boolean')
    throw invalid(`${option}.ignoreGfpWait`, 'expected a boolean');
  return {
    probability,
    interval: parseInteger(given(v.interval, 1), `${option}.interval`, 1, 2 ** 31 - 1),
    times: parseInteger(given(v.times, -1), `${option}.times`, -1, 2 ** 31 - 1),
    seed: parseInteger(given(v.seed, bootSeed), `${option}.seed`, 0, 2 ** 32 - 1),
    ignoreGfpWait,
  };
}

/**
 * Validates boot options and fills in defaults.
 *
 * @throws KernelError `EINVAL`, naming the option, for any bad value.
 */
export function parseBootOptions(options: BootOptions = {}): BootConfig {
  if (typeof options !== 'object' || options === null) {
    throw new KernelError('EINVAL', 'Kernel.boot: options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key))
      throw invalid(key, `unknown option (expected one of ${[...OPTION_NAMES].join(', ')})`);
  }
  const archName = given<unknown>(options.arch, 'x86_64');
  if (!isOneOf(archName, ARCH_NAMES)) {
    throw invalid('arch', `${JSON.stringify(archName)} is not one of ${ARCH_NAMES.join(', ')}`);
  }
  const arch = getArch(archName);

  const requested = parseSize(given<unknown>(options.memory, '64M'), 'memory');
  // Like mem=, a size that is not a whole number of pages is rounded down.
  const memory = Math.floor(requested / arch.pageSize) * arch.pageSize;
  const maxMemory = Math.min(MAX_MEMORY, arch.maxMemory);
  if (memory < MIN_MEMORY || memory > maxMemory) {
    throw invalid(
      'memory',
      `${requested} bytes is outside ${MIN_MEMORY}..${maxMemory} for ${arch.name}`,
    );
  }

  const slab = given<unknown>(options.slab, 'slub');
  const slabFactory = typeof slab === 'function' ? (slab as SlabFactory) : null;
  if (slabFactory === null && !isOneOf(slab, SLAB_KINDS))
    throw invalid(
      'slab',
      `${typeof slab === 'string' ? JSON.stringify(slab) : describeValue(slab)} is not one of ${SLAB_KINDS.join(', ')} or a factory function`,
    );

  let swap: BootConfig['swap'] = false;
  if (options.swap !== undefined && options.swap !== false) {
    const s = options.swap as unknown;
    if (typeof s !== 'object' || s === null)
      throw invalid('swap', 'expected false or { size, file? }');
    for (const key of Object.keys(s)) {
      if (key !== 'size' && key !== 'file')
        throw invalid('swap', `unknown field ${JSON.stringify(key)}`);
    }
    const { size: rawSize, file } = s as SwapOptions;
    const size = Math.floor(parseSize(rawSize, 'swap.size') / arch.pageSize) * arch.pageSize;
    if (size < arch.pageSize * 2)
      throw invalid(
        'swap.size',
        `${String(rawSize)} is smaller than two pages (a header and a slot)`,
      );
    if (file !== undefined && (typeof file !== 'string' || file === ''))
      throw invalid('swap.file', 'expected a non-empty path');
    swap = file === undefined ? { size } : { size, file };
  }

  const reclaimPolicy = given<unknown>(options.reclaimPolicy, 'lru-2q');
  if (reclaimPolicy === 'opt')
    throw invalid('reclaimPolicy', "'opt' needs the future; use it with simulatePolicy");
  if (!isOneOf(reclaimPolicy, RECLAIM_POLICIES))
    throw invalid(
      'reclaimPolicy',
      `${JSON.stringify(reclaimPolicy)} is not one of ${RECLAIM_POLICIES.join(', ')}`,
    );

  const cpus = parseInteger(given<unknown>(options.cpus, 1), 'cpus', 1, MAX_CPUS);
  const seed = parseInteger(given<unknown>(options.seed, 0), 'seed', 0, 2 ** 32 - 1);
  return {
    arch: archName,
    memory,
    slab: slabFactory === null ? (slab as SlabKind) : 'custom',
    slabFactory,
    swap,
    cpus,
    seed,
    slubDebug: options.slubDebug === undefined ? null : parseSlubDebug(options.slubDebug),
    failslab:
      options.failslab === undefined
        ? null
        : parseFaultInjection(options.failslab, 'failslab', seed),
    failPageAlloc:
      options.failPageAlloc === undefined
        ? null
        : parseFaultInjection(options.failPageAlloc, 'failPageAlloc', seed),
    reclaimPolicy,
  };
}
