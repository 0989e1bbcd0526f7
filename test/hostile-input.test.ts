/**
 * Hostile input, everywhere (issue 12): every public entry point checks
 * every argument before it changes anything, and says no in the way its
 * layer says no.
 *
 * The rules (docs/linux-fidelity.md, "Misuse and hostile input"):
 *
 * - System calls (`p.sys.*`, and the `sys*` functions behind them) never
 *   throw for a bad argument (only `KernelError` ESRCH once the process is
 *   dead) and return an integer: the result or -errno (-4095..-1).
 * - libc wrappers (`p.libc.*`) return -1 with a positive `errno`, or a
 *   valid result.
 * - Kernel-internal functions (the `Kernel`, `KmemCache` and `Vfs` methods)
 *   succeed or throw one of mmsim's errors (`KernelBug`, `KernelError`,
 *   `SegmentationFault`), never a host TypeError or RangeError from inside.
 *   Exported helpers may also throw a TypeError or RangeError that mmsim
 *   raised itself, naming the function (the trace and rendering API
 *   documents those).
 * - User-mode accessors (`p.load*`, `p.store*`, `p.read`, `p.write`) throw
 *   `SegmentationFault` for a number that is no user address (a fraction is
 *   a non-canonical address, as CONTRACT.md says) and `KernelBug` for
 *   anything else wrong (an address that is not a number, a value that does
 *   not fit, bytes that are not bytes, a bad length).
 * - A rejected call (-errno, -1, a throw) leaves every /proc file, dmesg,
 *   the file sizes and the struct page array byte for byte as they were,
 *   and `k.checkInvariants()` holds after every call.
 *
 * Where Linux itself changes state and then refuses, the test allows
 * exactly that, no more:
 *
 * - {@link PARTIAL_ON_HOLE}: mprotect, madvise, mlock, mlock2, munlock,
 *   mincore and msync work VMA by VMA and report ENOMEM for a hole only
 *   when they reach it, after changing the VMAs before it (mm/mprotect.c
 *   do_mprotect_pkey, mm/madvise.c madvise_walk_vmas, mm/mlock.c
 *   apply_vma_lock_flags, mm/mincore.c do_mincore per chunk, mm/msync.c).
 * - {@link COPY_IN_FIRST}: setrlimit and prlimit64 copy the new limit in
 *   before they look at the resource (kernel/sys.c: copy_from_user, then
 *   do_prlimit), so the page holding it is faulted in even when they say
 *   EINVAL. The harness touches those bytes first.
 * - A user-mode access that faults after its first byte has done the part
 *   before the fault, as a CPU's string copy does; a fault at the first
 *   byte changes nothing (not even `pgfault`: x86 do_user_addr_fault's
 *   bad_area never reaches handle_mm_fault, which counts it).
 * - {@link MISUSE_REPORT}: after a `KernelBug`, dmesg may gain the report
 *   Linux prints for that misuse: WARN_ON's splat (`__alloc_pages`: order
 *   above MAX_PAGE_ORDER, mm/page_alloc.c), SLUB's `slab_err` block
 *   (mm/slub.c), `kmem_cache_destroy`'s "Slab cache still has objects"
 *   (mm/slab_common.c). Nothing else.
 *
 * The property tests enumerate the API by reflection (the prototypes of
 * `Kernel`, `Process`, `Syscalls`, `Libc` and `Vfs`, the `KmemCache`
 * interface, and every function and static method the package root
 * exports), so system calls and helpers added later are covered as they
 * land. Each call gets plausible values (a mapped address, an open
 * descriptor, a live cache, GFP_KERNEL, ...) with at least one hostile
 * value in a random position (NaN, infinities, fractions, -0, 2^53 and
 * beyond, BigInts, strings, objects with a `valueOf`, arrays, symbols,
 * functions, kernel and non-canonical addresses). Exported building blocks
 * get the real machine part for a parameter typed as one (read from their
 * TypeScript source): they trust a `VmSystem` to be one, as a kernel
 * function trusts a struct pointer, and check everything else.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as mmsim from '../src/index.js';
import {
  __GFP_NOWARN,
  calculateAlignment,
  calculateMinFreeKbytes,
  changeProtection,
  classifyFrames,
  compareOwnerKeys,
  Errno,
  fileMappingOf,
  formatAddress,
  GFP_ATOMIC,
  GFP_KERNEL,
  Kernel,
  KernelBug,
  KernelError,
  type KmemCache,
  kmallocClasses,
  Libc,
  loopingTrace,
  MADV_DONTNEED,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  MCL_CURRENT,
  MS_SYNC,
  meminfoValues,
  O_CREAT,
  O_RDONLY,
  O_RDWR,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  Process,
  SEEK_END,
  SEEK_SET,
  SegmentationFault,
  SharedAnon,
  type Shrinker,
  Syscalls,
  Vfs,
  type Vma,
  virtAddr,
  vmstatValues,
  zapRange,
} from '../src/index.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

// --- the machine each run uses -----------------------------------------------------

type ArchName = 'x86_64' | 'i386';

interface Env {
  readonly k: Kernel;
  readonly p: Process;
  readonly cache: KmemCache;
  /** Four anonymous pages, the first touched, the last read-only. */
  readonly region: number;
  /** Two pages of `/f`, mapped shared. */
  readonly fileRegion: number;
  readonly fd: number;
  readonly plausible: readonly unknown[];
  readonly hostile: readonly (() => unknown)[];
  /** Objects a successful call may have freed or closed: never passed again. */
  readonly resources: ReadonlySet<unknown>;
  readonly retired: Set<unknown>;
}

function boot(arch: ArchName): Env {
  const k = Kernel.boot({ arch, memory: '8M' });
  const p = k.spawn({ name: 'hostile' });
  const page = k.PAGE_SIZE;
  const region = p.sys.mmap(
    0,
    4 * page,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    -1,
    0,
  );
  p.store32(region, 0x12345678);
  p.sys.mprotect(region + 3 * page, page, PROT_READ);
  const fd = p.sys.open('/f', O_RDWR | O_CREAT);
  p.sys.write(fd, region, 2 * page + 100);
  const roFd = p.sys.open('/f', O_RDONLY);
  const fileRegion = p.sys.mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  p.store8(fileRegion, 0x41);
  const cache = k.kmemCacheCreate('hostile', 64);
  const obj = cache.alloc(GFP_KERNEL);
  const kptr = k.kmalloc(64, GFP_KERNEL);
  const pfn = k.allocPages(GFP_KERNEL, 0);
  const pageVa = k.getFreePages(GFP_KERNEL, 0);
  const plausible: unknown[] = [
    0,
    1,
    2,
    3,
    8,
    64,
    100,
    page,
    2 * page,
    -1,
    GFP_KERNEL,
    GFP_ATOMIC,
    GFP_KERNEL | __GFP_NOWARN,
    PROT_READ,
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    MAP_SHARED,
    MAP_PRIVATE,
    O_RDONLY,
    O_RDWR,
    O_RDWR | O_CREAT,
    MADV_DONTNEED,
    MS_SYNC,
    MCL_CURRENT,
    SEEK_SET,
    SEEK_END,
    region,
    region + page,
    region + 100,
    region + 3 * page,
    p.mm.brk,
    fileRegion,
    fd,
    roFd,
    '/f',
    '/g/h',
    '/proc/meminfo',
    `/proc/${p.pid}/status`,
    'vm.swappiness',
    'hostile',
    Uint8Array.of(1, 2, 3),
    [4, 5, 6],
    new Uint8Array(page),
    cache,
    obj,
    kptr,
    pfn,
    pageVa,
  ];
  const is64 = k.arch.is64Bit;
  const numbers = [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0.5,
    page + 0.5,
    1e-300,
    -1,
    -page,
    -(2 ** 31),
    2 ** 31,
    2 ** 32,
    2 ** 32 + page,
    2 ** 47,
    2 ** 47 - page,
    -(2 ** 47),
    2 ** 48,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 63,
    2 ** 64,
    Number.MAX_VALUE,
    Number.MAX_SAFE_INTEGER,
    region + 0.5,
    region - page,
    region + 2 ** 40,
    // Kernel addresses that map nothing a kernel-mode write could break.
    is64 ? k.arch.pageOffset + k.memory.size + 16 * page : 0xf0000000,
    is64 ? -(2 ** 31) : 0xfffff000,
    is64 ? -page : 2 ** 32 - page,
  ];
  // Fresh values on every use, so that nothing a call stores by mistake is shared.
  const hostile: (() => unknown)[] = [
    ...numbers.map((n) => () => n),
    ...[0n, 4096n, -1n, 2n ** 64n, BigInt(region)].map((b) => () => b),
    ...['', '0', '4096', '/', 'a\0b', '/f/', '//f', '/./f', 'f', 'x'.repeat(300)].map(
      (s) => () => s,
    ),
    () => null,
    () => undefined,
    () => true,
    () => false,
    () => ({}),
    () => [],
    () => [1, 2],
    () => [256],
    () => [-1],
    () => ['a'],
    () => [1.5],
    () => ({ length: 3 }),
    () => ({ length: 2 ** 40 }),
    () => ({ valueOf: () => 4096 }),
    () => ({ valueOf: () => region }),
    () => ({ toString: () => '/f' }),
    () => new Number(8),
    () => Symbol('hostile'),
    () => () => 0,
    () => Object.create(null),
    () => new Uint8Array(0),
    () => new Int8Array([-1]),
    () => new Float64Array(2),
    () => new ArrayBuffer(8),
    () => new Date(0),
    () => ({ name: 'x', countObjects: 1, scanObjects: 2 }),
    () => ({ name: 'x', countObjects: () => 0, scanObjects: () => 0, seeks: Number.NaN }),
  ];
  return {
    k,
    p,
    cache,
    region,
    fileRegion,
    fd,
    plausible,
    hostile,
    resources: new Set<unknown>([cache, obj, kptr, pfn, pageVa]),
    retired: new Set(),
  };
}

// --- what is called -------------------------------------------------------------

type Kind = 'syscall' | 'libc' | 'internal' | 'user' | 'export';

interface Target {
  readonly group: string;
  readonly name: string;
  readonly kind: Kind;
  readonly params: readonly string[];
  /** Per parameter, the real machine part to pass, or null to fuzz it. */
  readonly parts: readonly (((env: Env) => unknown) | null)[];
  invoke(env: Env, args: unknown[]): unknown;
}

/** Parameter names of a function as its source spells them. */
function paramNames(f: (...args: never[]) => unknown): string[] {
  const src = Function.prototype.toString.call(f);
  const m = /^[^(]*\(([^)]*)\)/.exec(src);
  if (m === null) {
    const arrow = /^([\w$]+)\s*=>/.exec(src);
    return arrow ? [arrow[1] as string] : [];
  }
  return (m[1] as string)
    .split(',')
    .map((s) => s.trim().replace(/\s*=.*$/, ''))
    .filter((s) => s !== '');
}

type Method = (...args: unknown[]) => unknown;

function methodsOf(proto: object, exclude: readonly string[]): string[] {
  return Object.getOwnPropertyNames(proto).filter(
    (n) =>
      n !== 'constructor' &&
      !exclude.includes(n) &&
      typeof Object.getOwnPropertyDescriptor(proto, n)?.value === 'function',
  );
}

/** Private members (TypeScript `private`), which exist at run time. Checked below: none is public. */
const KERNEL_PRIVATE = ['inKernel', 'kernelPhys', 'checkPhys', 'checkCache'] as const;
const PROCESS_PRIVATE = ['chunkWords', 'checkAccess', 'probeSplit'] as const;
/**
 * `enterKernel` is the system calls' way into the kernel: it makes the
 * process `current` and must be paired with `vm.leaveKernel`; it is
 * plumbing, not an operation on the process.
 */
const PROCESS_PLUMBING = ['enterKernel'] as const;
const LIBC_PRIVATE = ['fail', 'check'] as const;
const VFS_PRIVATE = [
  'readBytes',
  'validate',
  'checkParents',
  'require',
  'own',
  'maybeEvict',
  'allocBlock',
  'freeBlock',
  'checkSize',
  'checkPage',
] as const;
/** The `KmemCache` interface: every function-valued member (checked below). */
const CACHE_METHODS = ['alloc', 'free', 'shrink', 'destroy', 'slabinfo'] as const;

// Type-level checks: a name listed as private must not be a public member;
// every method of the KmemCache interface is listed.
type NotPublic<T, K extends string> = [Extract<K, keyof T>] extends [never] ? true : never;
type FunctionKeys<T> = {
  [K in keyof T]: T[K] extends (...a: never[]) => unknown ? K : never;
}[keyof T];
const privateNamesArePrivate: [
  NotPublic<Kernel, (typeof KERNEL_PRIVATE)[number]>,
  NotPublic<Process, (typeof PROCESS_PRIVATE)[number]>,
  NotPublic<Libc, (typeof LIBC_PRIVATE)[number]>,
  NotPublic<Vfs, (typeof VFS_PRIVATE)[number]>,
  [Exclude<FunctionKeys<KmemCache>, (typeof CACHE_METHODS)[number]>] extends [never] ? true : never,
] = [true, true, true, true, true];

function protoMethods(
  group: string,
  kind: Kind,
  proto: object,
  exclude: readonly string[],
  receiver: (env: Env) => object,
): Target[] {
  return methodsOf(proto, exclude).map((name) => {
    const params = paramNames((proto as Record<string, Method>)[name] as Method);
    return {
      group,
      name,
      kind,
      params,
      parts: params.map(() => null),
      invoke: (env, args) => {
        const r = receiver(env) as Record<string, Method>;
        return (r[name] as Method).apply(r, args);
      },
    };
  });
}

/** The Kernel, Process, p.sys, p.libc, k.vfs and KmemCache methods. */
function apiTargets(): Target[] {
  return [
    ...protoMethods('k', 'internal', Kernel.prototype, KERNEL_PRIVATE, (e) => e.k),
    ...protoMethods(
      'p',
      'user',
      Process.prototype,
      [...PROCESS_PRIVATE, ...PROCESS_PLUMBING],
      (e) => e.p,
    ),
    ...protoMethods('p.sys', 'syscall', Syscalls.prototype, [], (e) => e.p.sys),
    ...protoMethods('p.libc', 'libc', Libc.prototype, LIBC_PRIVATE, (e) => e.p.libc),
    ...protoMethods('k.vfs', 'internal', Vfs.prototype, VFS_PRIVATE, (e) => e.k.vfs),
    ...CACHE_METHODS.map(
      (name): Target => ({
        group: 'cache',
        name,
        kind: 'internal',
        params: name === 'alloc' ? ['gfp'] : name === 'free' ? ['obj'] : [],
        parts: [null],
        invoke: (env, args) => (env.cache[name] as Method).apply(env.cache, args),
      }),
    ),
  ];
}

// --- exported helpers: which parameters are machine parts ----------------------------

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Splits a parameter list at its top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if ('([{<'.includes(ch)) depth++;
    else if (')]}>'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

let sourceText: string | null = null;

/**
 * The declared parameter types of the exported function `name` (or of the
 * static method `name` of class `inClass`), read from the TypeScript source.
 */
function declaredParamTypes(name: string, inClass?: string): string[] | null {
  sourceText ??= sourceFiles(SRC)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  let m: RegExpExecArray | null;
  if (inClass === undefined) {
    m = new RegExp(`export function ${name}\\s*(<[^(]*>)?\\(`).exec(sourceText);
  } else {
    const cls = new RegExp(`export (abstract )?class ${inClass}\\b`).exec(sourceText);
    if (cls === null) return null;
    const re = new RegExp(`static ${name}\\s*(<[^(]*>)?\\(`, 'g');
    re.lastIndex = cls.index;
    m = re.exec(sourceText);
  }
  if (m === null) return null;
  let i = m.index + m[0].length;
  const start = i;
  for (let depth = 1; depth > 0; i++) {
    const c = sourceText[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  return splitTop(sourceText.slice(start, i - 1)).map((param) => {
    const noDefault = param.replace(/\s*=\s*[^=>][^,]*$/, '');
    const colon = noDefault.indexOf(':');
    return colon < 0
      ? 'unknown'
      : noDefault
          .slice(colon + 1)
          .trim()
          .replace(/import\('[^']*'\)\./g, '');
  });
}

function sources(e: Env): object {
  return { buddy: e.k.buddy, vm: e.k.vm, caches: e.k.slab.caches, swap: e.k.swap };
}

/**
 * Parameter types that are one of mmsim's own objects, and the real one
 * the harness passes for each. Every other parameter (numbers, strings,
 * flags, arrays of numbers, options bags, `unknown`) is fuzzed.
 */
const SUPPLIERS: Record<string, (env: Env) => unknown> = {
  AddressSpace: (e) => e.p.mm,
  'AddressSpace | null': (e) => e.p.mm,
  Arch: (e) => e.k.arch,
  BuddyAllocator: (e) => e.k.buddy,
  FileMapping: (e) => fileMappingOf(e.p.mm.vmas.findVma(e.fileRegion) as Vma),
  'FileTable | null': (e) => e.p.files,
  Kernel: (e) => e.k,
  MemStatsSources: (e) => sources(e),
  MeminfoValues: (e) => meminfoValues(sources(e) as never),
  '(name: string) => number': (e) => vmstatValues(sources(e) as never),
  OpenFile: (e) => e.p.files.get(e.fd),
  PageTableGeometry: (e) => e.k.vm.geo,
  Process: (e) => e.p,
  TaskLimits: (e) => e.p,
  'ReadonlyMap<number, Process>': (e) => e.k.processes,
  'SwapSystem | null': (e) => e.k.swap,
  Vfs: (e) => e.k.vfs,
  VmSystem: (e) => e.k.vm,
  Vma: (e) => e.p.mm.vmas.findVma(e.region),
  'readonly KmemCache[]': (e) => e.k.slab.caches,
  'readonly Zone[]': (e) => e.k.zones,
  'readonly ReserveZone[]': (e) => e.k.zones,
  'readonly SwapArea[]': () => [],
  FrameOwners: (e) => classifyFrames(e.k),
  RmapVisitor: () => ({ visit: () => false }),
  SharedAnon: (e) => new SharedAnon(-1, e.k.PAGE_SIZE),
  PagemapSource: (e) => e.k,
  SysctlEntry: () => (mmsim.VM_SYSCTLS as readonly unknown[])[0],
  SlabAllocator: (e) => e.k.slab,
  SlubAllocator: (e) => e.k.slab,
  SlobAllocator: (e) => e.k.slab,
  SlabAllocatorBase: (e) => e.k.slab,
  KmallocCore: (e) => e.k.slab,
  KmallocMemory: (e) => e.k.slab,
  'RlimitBits | null': () => null,
};

function partsFor(
  name: string,
  params: readonly string[],
  inClass?: string,
): (((env: Env) => unknown) | null)[] {
  const types = declaredParamTypes(name, inClass);
  return params.map((param, i) => {
    // The `fn` of the check helpers names their caller for the message.
    if (param === 'fn') return () => name;
    return types === null ? null : (SUPPLIERS[types[i] ?? ''] ?? null);
  });
}

/** Every function and static method the package root exports. */
function exportTargets(): Target[] {
  const out: Target[] = [];
  for (const [name, value] of Object.entries(mmsim)) {
    if (typeof value !== 'function') continue;
    if (/^class\b/.test(Function.prototype.toString.call(value))) {
      for (const s of Object.getOwnPropertyNames(value)) {
        const f = (value as unknown as Record<string, unknown>)[s];
        if (['length', 'name', 'prototype'].includes(s) || typeof f !== 'function') continue;
        const params = paramNames(f as Method);
        out.push({
          group: name,
          name: s,
          kind: 'export',
          params,
          parts: partsFor(s, params, name),
          invoke: (_e, args) => (f as Method).apply(value, args),
        });
      }
      continue;
    }
    const params = paramNames(value as Method);
    out.push({
      group: 'mmsim',
      name,
      // sysRead, sysMmap, ...: the system call bodies, a process or an mm first.
      kind: /^sys[A-Z]/.test(name) ? 'syscall' : 'export',
      params,
      parts: partsFor(name, params),
      invoke: (_e, args) => (value as Method)(...args),
    });
  }
  return out;
}

// --- observing the machine ---------------------------------------------------------

interface Observed {
  readonly text: readonly string[];
  readonly memMap: Uint8Array;
}

function observe(k: Kernel): Observed {
  const files = [
    '/proc/meminfo',
    '/proc/buddyinfo',
    '/proc/vmstat',
    '/proc/slabinfo',
    '/proc/zoneinfo',
  ];
  for (const pid of [...k.processes.keys()].sort((a, b) => a - b)) {
    files.push(`/proc/${pid}/maps`, `/proc/${pid}/smaps`, `/proc/${pid}/status`);
  }
  const text = files.map((f) => `${f}\n${k.proc(f)}`);
  text.push(`dmesg\n${k.dmesg()}`);
  const sizes = k.vfs.list().map((f) => `${f} ${k.vfs.stat(f).size}`);
  text.push(`file sizes\n${sizes.join('\n')}`);
  return { text, memMap: k.memory.read(k.memMap.base, k.memMap.bytes) };
}

/** See the header: the kernel's own report of a misuse it refuses. */
const MISUSE_REPORT =
  /^\[[ \d.]+\] (?:=+|-+|BUG \S+ \((?:Not tainted|Tainted: B)\): .*|WARNING: .*|kmem_cache_destroy \S+: Slab cache still has objects.*|Object 0x[0-9a-f]+.*|)$/;

function difference(a: Observed, b: Observed, misuseReport: boolean): string | null {
  for (let i = 0; i < Math.max(a.text.length, b.text.length); i++) {
    const x = a.text[i] ?? '';
    const y = b.text[i] ?? '';
    if (x === y) continue;
    if (misuseReport && x.startsWith('dmesg\n') && y.startsWith(x)) {
      const added = y
        .slice(x.length)
        .split('\n')
        .filter((l) => l !== '' && !MISUSE_REPORT.test(l));
      if (added.length === 0) continue;
      return `dmesg: gained '${added[0]}'`;
    }
    const xl = x.split('\n');
    const yl = y.split('\n');
    for (let j = 0; j < Math.max(xl.length, yl.length); j++) {
      if (xl[j] !== yl[j]) return `${xl[0]}: '${xl[j]}' became '${yl[j]}'`;
    }
  }
  const i = a.memMap.findIndex((v, j) => v !== b.memMap[j]);
  return i < 0 ? null : `the struct page array, at byte ${i}`;
}

// --- the rules -----------------------------------------------------------------

/** See the header. */
const PARTIAL_ON_HOLE = new Set([
  'mprotect',
  'madvise',
  'mlock',
  'mlock2',
  'munlock',
  'mincore',
  'msync',
]);

/** See the header: argument index of the user structure and the bytes copied in. */
const COPY_IN_FIRST: Readonly<Record<string, readonly [number, number]>> = {
  setrlimit: [1, 16],
  prlimit64: [2, 16],
  prlimit: [2, 16],
};

/**
 * mmsim's own error classes: every exported subclass of `Error`
 * (`KernelBug`, `KernelError`, `SegmentationFault`, the trace API's
 * errors, ...). `KernelPanic` is not one a bad argument may cause.
 */
const MMSIM_ERRORS = (Object.values(mmsim) as unknown[]).filter(
  (v): v is new (...args: never[]) => Error =>
    typeof v === 'function' && v.prototype instanceof Error && v !== mmsim.KernelPanic,
);

function isMmsimError(e: unknown): boolean {
  return MMSIM_ERRORS.some((c) => e instanceof c);
}

function show(x: unknown): string {
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol') return 'Symbol()';
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
  if (typeof x === 'string') return JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}...` : x);
  if (x === null || x === undefined || typeof x === 'boolean') return String(x);
  if (Array.isArray(x))
    return x.length <= 8 ? `[${x.map(show).join(', ')}]` : `[${x.length} items]`;
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as Uint8Array).length})`;
  const ctor = (Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null)?.constructor
    ?.name;
  return ctor === 'Object'
    ? `{${Object.keys(x).join(',')}}`
    : `a ${ctor ?? 'null-prototype object'}`;
}

function showCall(t: Target, args: readonly unknown[]): string {
  return `${t.group}.${t.name}(${args.map(show).join(', ')})`;
}

/** Makes the call and returns the rule it broke, or null. */
function checkCall(env: Env, t: Target, args: unknown[]): string | null {
  const { k, p } = env;
  const sysName =
    t.kind === 'syscall' && t.group === 'mmsim' ? t.name.slice(3).toLowerCase() : t.name;
  const copyIn = t.kind === 'syscall' || t.kind === 'libc' ? COPY_IN_FIRST[sysName] : undefined;
  if (copyIn !== undefined && p.state === 'running') {
    const at = args[copyIn[0] + (t.group === 'mmsim' ? 1 : 0)];
    try {
      if (typeof at === 'number') p.read(at, copyIn[1]);
    } catch {
      // A bad pointer: the call must refuse it with nothing changed.
    }
  }
  const before = observe(k);
  let threw: unknown;
  let didThrow = false;
  let value: unknown;
  try {
    value = t.invoke(env, args);
  } catch (e) {
    didThrow = true;
    threw = e;
  }
  const call = (): string => showCall(t, args);
  let rejected = didThrow;
  let partial = false;
  if (didThrow) {
    const e = threw as Error;
    const what = `${call()} threw ${e?.name}: ${e?.message}`;
    if (t.kind === 'syscall' || t.kind === 'libc') {
      if (!(e instanceof KernelError && e.code === 'ESRCH' && p.state !== 'running')) return what;
    } else if (t.kind === 'export') {
      const named =
        (e instanceof TypeError || e instanceof RangeError) && e.message.startsWith(`${t.name}:`);
      if (!isMmsimError(e) && !named) return what;
    } else if (!isMmsimError(e)) {
      return what;
    }
    // A fault past the first byte: the CPU did the part before it.
    if (t.kind === 'user' && e instanceof SegmentationFault && e.address !== args[0])
      partial = true;
  } else if (t.kind === 'syscall') {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -4095) {
      return `${call()} returned ${show(value)}`;
    }
    if (value < 0) {
      rejected = true;
      partial = value === -Errno.ENOMEM && PARTIAL_ON_HOLE.has(sysName);
    }
  } else if (t.kind === 'libc' && value === -1) {
    const errno = p.libc.errno;
    if (!(Number.isInteger(errno) && errno > 0)) return `${call()} returned -1 with errno ${errno}`;
    rejected = true;
    partial = errno === Errno.ENOMEM && PARTIAL_ON_HOLE.has(t.name);
  } else if (t.kind === 'libc' && typeof value === 'number' && !Number.isInteger(value)) {
    return `${call()} returned ${value}`;
  }
  if (rejected && !partial) {
    const diff = difference(before, observe(k), threw instanceof KernelBug);
    if (diff !== null) {
      const why = didThrow ? (threw as Error).message : String(value);
      return `${call()} was rejected (${why}) but changed ${diff}`;
    }
  }
  // An exported building block that succeeded may have done what it was
  // asked (free a frame, zap a range) without the bookkeeping around it.
  if (t.kind !== 'export' || rejected) {
    try {
      k.checkInvariants();
    } catch (e) {
      return `${call()} broke an invariant: ${(e as Error).message}`;
    }
  }
  if (!rejected) for (const a of args) if (env.resources.has(a)) env.retired.add(a);
  return null;
}

/**
 * How one argument is chosen, small enough for fast-check to print and
 * shrink: a plausible value, a hostile one, or a number fast-check drew.
 */
type Spec = { p: number } | { h: number } | { n: number };

/**
 * The choices for one call of `n` arguments, of which those in the bit
 * mask `fuzzable` may be hostile, from `plausible` and `hostile` values.
 * Only numbers go in: fast-check's `gen` keys what it builds on them.
 */
function specs(
  n: number,
  fuzzable: number,
  plausible: number,
  hostile: number,
): fc.Arbitrary<Spec[]> {
  const bad: fc.Arbitrary<Spec> = fc.oneof(
    { weight: 6, arbitrary: fc.nat(hostile - 1).map((h) => ({ h })) },
    { weight: 1, arbitrary: fc.oneof(fc.double(), fc.integer()).map((v) => ({ n: v })) },
  );
  const good: fc.Arbitrary<Spec> = fc.nat(plausible - 1).map((p) => ({ p }));
  const positions = Array.from({ length: n }, (_, i) => i).filter(
    (i) => (fuzzable & (1 << i)) !== 0,
  );
  return fc
    .tuple(
      fc.array(fc.oneof({ weight: 2, arbitrary: good }, { weight: 1, arbitrary: bad }), {
        minLength: n,
        maxLength: n,
      }),
      fc.nat(),
      bad,
    )
    .map(([chosen, pick, hostileValue]) => {
      const out = [...chosen];
      // At least one hostile value: in a fuzzable position, else as an extra argument.
      if (positions.length > 0) out[positions[pick % positions.length] as number] = hostileValue;
      else out.push(hostileValue);
      return out;
    });
}

function argsOf(env: Env, t: Target, chosen: readonly Spec[]): unknown[] {
  return chosen.map((s, i) => {
    const part = t.parts[i];
    if (part) return part(env);
    if ('h' in s) return (env.hostile[s.h] as () => unknown)();
    if ('n' in s) return s.n;
    const v = env.plausible[s.p];
    return env.retired.has(v) ? 0 : v;
  });
}

/** Runs `steps` calls on one machine, from `targets`; throws with the broken rule. */
function runCalls(
  g: fc.GeneratorValue,
  arch: ArchName,
  targets: readonly Target[],
  steps: number,
): void {
  const env = boot(arch);
  for (let step = 0; step < steps; step++) {
    const t = targets[g(fc.nat, targets.length - 1)] as Target;
    const fuzzable = t.parts.reduce((mask, part, i) => (part ? mask : mask | (1 << i)), 0);
    const chosen = g(specs, t.params.length, fuzzable, env.plausible.length, env.hostile.length);
    const args = argsOf(env, t, chosen);
    const broken = checkCall(env, t, args);
    if (broken !== null) throw new Error(broken);
  }
}

// --- the gaps the issue names, and what the property tests found ---------------------

/** An address with no VMA around it. */
function hole(env: Env): number {
  const page = env.k.PAGE_SIZE;
  const at = env.p.sys.mmap(0, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  env.p.sys.munmap(at, page);
  return at;
}

/** The value of a /proc/vmstat counter. */
function vmstat(k: Kernel, name: string): number {
  const line =
    k
      .proc('/proc/vmstat')
      .split('\n')
      .find((l) => l.startsWith(`${name} `)) ?? '';
  return Number(line.split(' ')[1]);
}

function expectUnchanged(env: Env, before: Observed, misuseReport = false): void {
  expect(difference(before, observe(env.k), misuseReport)).toBeNull();
  env.k.checkInvariants();
}

const GARBAGE: readonly unknown[] = [
  Number.NaN,
  0.5,
  -1,
  2 ** 32,
  8n,
  'GFP_KERNEL',
  {},
  { valueOf: () => GFP_KERNEL },
  Symbol('gfp'),
  null,
  undefined,
  [GFP_KERNEL],
];

describe('the gaps issue 12 names', () => {
  it('p.write takes a Uint8Array or an array of bytes, and refuses anything else first', () => {
    const env = boot('x86_64');
    const { p, region } = env;
    const page = env.k.PAGE_SIZE;
    const before = observe(env.k);
    for (const bad of [
      'abc',
      Number.NaN,
      { length: 3 },
      [1, 256],
      [0.5],
      ['a'],
      new Int8Array(2),
      null,
    ]) {
      expect(() => p.write(region + page, bad as never)).toThrow(KernelBug);
    }
    // The page was never written to: nothing faulted in, nothing counted.
    expectUnchanged(env, before);
    p.write(region + page, [1, 2, 255]);
    p.write(region + page + 3, Uint8Array.of(7));
    expect([...p.read(region + page, 4)]).toEqual([1, 2, 255, 7]);
  });

  it('kzalloc, kcalloc, getFreePages (and the rest of the family) check the gfp before using it', () => {
    const env = boot('x86_64');
    const { k } = env;
    const before = observe(k);
    for (const gfp of GARBAGE) {
      for (const call of [
        () => k.kzalloc(64, gfp as never),
        () => k.kcalloc(2, 32, gfp as never),
        () => k.getFreePages(gfp as never, 0),
        () => k.kmalloc(64, gfp as never),
        () => k.allocPages(gfp as never, 0),
        () => k.krealloc(null, 64, gfp as never),
        () => k.kmemCacheAlloc(env.cache, gfp as never),
      ]) {
        expect(call).toThrow(KernelBug);
      }
    }
    expectUnchanged(env, before);
  });

  it('registerShrinker checks the shape; a shrinker that answers garbage is named in a KernelBug', () => {
    const env = boot('x86_64');
    const { k } = env;
    const ok = { name: 'ok', countObjects: () => 0, scanObjects: () => 0 };
    for (const bad of [
      null,
      42,
      'shrinker',
      {},
      { name: 1, countObjects: () => 0, scanObjects: () => 0 },
      { name: 'x', countObjects: 0, scanObjects: () => 0 },
      { name: 'x', countObjects: () => 0 },
      { ...ok, seeks: 0 },
      { ...ok, seeks: Number.NaN },
      { ...ok, seeks: 2.5 },
    ]) {
      expect(() => k.registerShrinker(bad as never)).toThrow(KernelBug);
    }
    expect(() => k.unregisterShrinker(null as never)).toThrow(KernelBug);
    k.registerShrinker({ ...ok, seeks: 4 });
    const liar: Shrinker = { name: 'liar', countObjects: () => Number.NaN, scanObjects: () => 0 };
    k.registerShrinker(liar);
    // Fill memory until reclaim asks the shrinkers.
    expect(() => {
      for (let i = 0; i < 4096; i++) if (k.allocPages(GFP_KERNEL | __GFP_NOWARN, 0) === null) break;
    }).toThrow(/shrink_slab: liar\.countObjects returned NaN/);
  });

  it('BigInts, non-string paths, non-caches and huge lengths get mmsim errors, not host ones', () => {
    const env = boot('x86_64');
    const { k, p, region } = env;
    const before = observe(k);
    expect(() => k.kmalloc(64n as never, GFP_KERNEL)).toThrow(KernelBug);
    expect(() => k.load8(BigInt(k.arch.pageOffset) as never)).toThrow(KernelBug);
    expect(() => k.freePages(1n as never, 0)).toThrow(KernelBug);
    expect(() => p.load32(10n as never)).toThrow(KernelBug);
    expect(() => p.store32(region, 1n as never)).toThrow(KernelBug);
    expect(p.sys.open(42 as never, O_RDONLY)).toBe(-Errno.EFAULT);
    expect(p.sys.open(null as never, O_RDONLY)).toBe(-Errno.EFAULT);
    expect(p.libc.mmap(0, 4096n as never, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)).toBe(-1);
    expect(() => k.vfs.stat(42 as never)).toThrow(KernelError);
    expect(() => k.vfs.create(Symbol('path') as never)).toThrow(KernelError);
    expect(() => k.kmemCacheAlloc({} as never, GFP_KERNEL)).toThrow(KernelBug);
    expect(() => k.kmemCacheFree('cache' as never, 0)).toThrow(KernelBug);
    expect(() => k.kmemCacheDestroy(null as never)).toThrow(KernelBug);
    expect(() => p.read(region, 2 ** 40)).toThrow(KernelBug);
    expect(() => k.read(k.arch.pageOffset, 2 ** 60)).toThrow(KernelBug);
    expect(() => loopingTrace(2, 2 ** 40)).toThrow(RangeError);
    expectUnchanged(env, before);
  });

  it('read(2) and pread(2) refuse a buffer no copy can reach before the page cache is touched', () => {
    const env = boot('x86_64');
    const { k, p, region } = env;
    const page = k.PAGE_SIZE;
    k.vfs.writeFile('/cold', new Uint8Array(3 * page).fill(0x5a));
    const fd = p.sys.open('/cold', O_RDONLY);
    const nowhere = hole(env);
    const before = observe(k);
    expect(p.sys.read(fd, nowhere, 100)).toBe(-Errno.EFAULT);
    expect(p.sys.pread(fd, nowhere, 100, page)).toBe(-Errno.EFAULT);
    // Read-only and PROT_NONE buffers cannot be written by copy_to_user either.
    expect(p.sys.pread(fd, region + 3 * page, 100, 0)).toBe(-Errno.EFAULT);
    const none = p.sys.mmap(0, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const withNone = observe(k);
    expect(p.sys.read(fd, none, 100)).toBe(-Errno.EFAULT);
    expectUnchanged(env, withNone);
    p.sys.munmap(none, page);
    expectUnchanged(env, before); // Cached, pgfault, the file position: all as they were
    // access_ok first, as vfs_read does: a count of -1 is SIZE_MAX, past user space.
    expect(p.sys.read(fd, region, -1)).toBe(-Errno.EFAULT);
    expect(p.sys.read(fd, k.arch.pageOffset, 0)).toBe(-Errno.EFAULT);
    expect(p.sys.read(fd, nowhere, 0)).toBe(0);
    // A buffer that runs into the read-only page: Linux's short count.
    expect(p.sys.pread(fd, region + 3 * page - 4, 100, 0)).toBe(4);
    expect(p.load32(region + 3 * page - 4)).toBe(0x5a5a5a5a);
    expect(p.sys.read(fd, region, 8)).toBe(8); // the position was never moved
  });

  it('write(2) from a buffer no copy can reach is EFAULT with nothing counted', () => {
    const env = boot('x86_64');
    const { k, p, fd } = env;
    const nowhere = hole(env);
    const before = observe(k);
    const faults = vmstat(k, 'pgfault');
    expect(p.sys.write(fd, nowhere, 100)).toBe(-Errno.EFAULT);
    expect(p.sys.pwrite(fd, nowhere, 100, 1 << 20)).toBe(-Errno.EFAULT);
    expect(vmstat(k, 'pgfault')).toBe(faults);
    expectUnchanged(env, before); // the file size too
  });

  it('a SIGSEGV counts no pgfault, as handle_mm_fault is never reached', () => {
    const env = boot('x86_64');
    const { k, p, region } = env;
    const nowhere = hole(env);
    const before = observe(k);
    expect(() => p.load8(nowhere + 1)).toThrow(SegmentationFault);
    expect(() => p.store8(region + 3 * k.PAGE_SIZE, 1)).toThrow(SegmentationFault);
    expect(() => p.load32(k.arch.pageOffset)).toThrow(SegmentationFault);
    expectUnchanged(env, before);
  });

  it('store8 and store16 check the value before they take the write fault', () => {
    const env = boot('x86_64');
    const { k, p, region } = env;
    const untouched = region + 2 * k.PAGE_SIZE;
    const nowhere = hole(env);
    const before = observe(k);
    expect(() => p.store8(nowhere, 256)).toThrow(KernelBug);
    expect(() => p.store8(untouched, -129)).toThrow(KernelBug);
    expect(() => p.store16(untouched, 70000)).toThrow(KernelBug);
    expect(() => p.store16(untouched + 1, Number.NaN)).toThrow(KernelBug);
    expect(() => p.store32(untouched, 2 ** 32)).toThrow(KernelBug);
    expectUnchanged(env, before); // the page was not faulted in
  });

  it('an unaligned store that runs into a page it may not write changes nothing', () => {
    const env = boot('x86_64');
    const { k, p, region } = env;
    const edge = region + 3 * k.PAGE_SIZE - 2; // the last two bytes before the read-only page
    p.store16(edge, 0x1111);
    expect(() => p.store32(edge, 0x22222222)).toThrow(SegmentationFault);
    expect(p.load16(edge)).toBe(0x1111);
  });

  it('libc.brk to a kernel address fails with ENOMEM and leaves the break, as glibc does', () => {
    for (const arch of ['x86_64', 'i386'] as const) {
      const env = boot(arch);
      const { p } = env;
      const brk = p.sys.brk(0);
      const kernel = arch === 'x86_64' ? virtAddr(0xffff888000000000n) : 0xc0001000;
      expect(p.libc.brk(kernel)).toBe(-1);
      expect(p.libc.errno).toBe(Errno.ENOMEM);
      expect(p.libc.brk(-4096)).toBe(-1);
      expect(p.sys.brk(0)).toBe(brk);
    }
  });

  it('a fractional user address is a non-canonical one, TLB-hot or not, never a physical-layer bug', () => {
    const env = boot('x86_64');
    const { k, p, region } = env;
    const page = k.PAGE_SIZE;
    p.store32(region, 0x01020304); // the TLB now maps the page
    for (const va of [
      region + 0.5,
      region + 4.25,
      region + page + 0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]) {
      for (const call of [
        () => p.load8(va),
        () => p.load16(va),
        () => p.load32(va),
        () => p.store8(va, 1),
        () => p.store16(va, 1),
        () => p.store32(va, 1),
        () => p.read(va, 4),
        () => p.write(va, [1]),
      ]) {
        expect(call).toThrow(SegmentationFault);
        try {
          call();
        } catch (e) {
          expect((e as SegmentationFault).siCode).toBe('SI_KERNEL');
        }
      }
    }
    expect(p.load32(region)).toBe(0x01020304);
    expect(() => p.load8('4096' as never)).toThrow(KernelBug);
  });

  it('prints addresses as the kernel does: hex, unsigned', () => {
    const env = boot('x86_64');
    const { k, p } = env;
    const kernel = virtAddr(0xffff888000000000n);
    expect(() => p.load8(kernel)).toThrow(/0xffff888000000000/);
    expect(() => p.load8(2 ** 47)).toThrow(/non-canonical address 0x800000000000/);
    const past = k.arch.pageOffset + k.memory.size + 16 * k.PAGE_SIZE;
    expect(() => k.load8(past)).toThrow(new RegExp(formatAddress(past)));
    expect(() => k.kfree(past)).toThrow(new RegExp(formatAddress(past)));
    expect(new SegmentationFault('SIGSEGV', 'SEGV_MAPERR', -4096).message).toContain(
      '0xfffffffffffff000',
    );
  });
});

describe('defects the property tests found (shrunk counterexamples)', () => {
  it('range walkers refuse a garbage range instead of walking it for ever', () => {
    const env = boot('x86_64');
    const vma = env.p.mm.vmas.findVma(env.region) as Vma;
    const before = observe(env.k);
    expect(() => changeProtection(env.p.mm, vma, -9.29947372560793e108, 2)).toThrow(KernelBug);
    expect(() => zapRange(env.p.mm, vma, vma.start, vma.end + 1)).toThrow(KernelBug);
    expect(() => calculateMinFreeKbytes(env.k.zones, Number.POSITIVE_INFINITY)).toThrow(KernelBug);
    expect(() => calculateAlignment(134520832, '//f' as never, false as never)).toThrow(KernelBug);
    expectUnchanged(env, before);
  });

  it('k.freePages refuses a frame the VM owns (here a mapped user page), changing nothing', () => {
    // Found on i386: freePages of a mapped page with a second reference only
    // dropped a reference (put_page), leaving the mapping's count short.
    for (const arch of ['x86_64', 'i386'] as const) {
      const k = Kernel.boot({ arch, memory: '32M' });
      const p = k.spawn();
      const va = p.sys.mmap(0, k.PAGE_SIZE, 3, 0x02 | MAP_ANONYMOUS, -1, 0);
      p.store8(va, 7);
      const pfn = (p.mm.lookupPte(va) as { pfn: number }).pfn;
      const before =
        k.proc('/proc/meminfo') + k.proc('/proc/buddyinfo') + k.proc(`/proc/${p.pid}/smaps`);
      expect(() => k.freePages(pfn, 0)).toThrow(KernelBug);
      expect(
        k.proc('/proc/meminfo') + k.proc('/proc/buddyinfo') + k.proc(`/proc/${p.pid}/smaps`),
      ).toBe(before);
      expect(p.load8(va)).toBe(7);
      k.checkInvariants();
    }
  });

  it('parseSize and formatLocation refuse garbage with mmsim errors, not host TypeErrors', () => {
    // Found by the exports property: a null-prototype object as the option name.
    expect(() => mmsim.parseSize('/f', Object.create(null))).toThrow(KernelError);
    // And the trace API's formatLocation, given no location at all.
    expect(() => mmsim.formatLocation(null as never)).toThrow(KernelBug);
  });

  it('sizes that would take the host process down are refused', () => {
    // V8 aborts the whole process ("invalid size", "heap out of memory") for these.
    expect(() => kmallocClasses(Number.POSITIVE_INFINITY)).toThrow(KernelBug);
    expect(() => loopingTrace(140737354129408, 2147483648)).toThrow(RangeError);
    expect(() => mmsim.zipfTrace({ length: 10, pages: 2 ** 40 })).toThrow(RangeError);
  });

  it('values that used to reach a host TypeError', () => {
    const env = boot('x86_64');
    const { k, p } = env;
    const before = observe(k);
    expect(() => k.spawn(null as never)).toThrow(KernelBug);
    expect(() => k.spawn({ name: 42 } as never)).toThrow(KernelBug);
    expect(p.sys.close(Symbol('fd') as never)).toBe(-Errno.EBADF);
    expect(p.sys.close(Object.create(null))).toBe(-Errno.EBADF);
    expect(() => k.kmemCacheCreate(-1n as never, 34)).toThrow(KernelBug);
    expect(() => k.kmemCacheCreate('c', 34, null as never)).toThrow(KernelBug);
    expect(() => k.vfs.iget(null as never)).toThrow(KernelBug);
    expect(() => k.vfs.writeFile('/x', 'text' as never)).toThrow(KernelError);
    expect(() => k.allocPages(Object.create(null), 0)).toThrow(KernelBug);
    expect(() => k.kunmap(Symbol('pfn') as never)).toThrow(KernelBug);
    expect(() => env.cache.free(-1n as never)).toThrow(KernelBug);
    expect(() => k.kfree(140737354117120n as never)).toThrow(KernelBug);
    expect(() => p.release(Number.NaN as never)).toThrow(KernelBug);
    expect(p.state).toBe('running');
    expectUnchanged(env, before);
    expect(() => compareOwnerKeys(1 as never, 2 as never)).toThrow(/^compareOwnerKeys:/);
    expect(() => virtAddr(Object.create(null))).toThrow(RangeError);
    expect(() => formatAddress(1, 4096n as never)).toThrow(/^formatAddress:/);
    expect(() => mmsim.isCanonical(0n, 'f' as never)).toThrow(/^isCanonical:/);
    expect(() => mmsim.programPath(Number.NaN as never)).toThrow(KernelBug);
    expect(mmsim.renderProcessFile(k.processes, Symbol('path') as never)).toBeNull();
    expect(mmsim.errnoName(-1n as never)).toBeUndefined();
    expect(() => mmsim.getArch(-1n as never)).toThrow(KernelError);
    const notATable = k.allocPages(GFP_KERNEL, 0) as number;
    expect(() => mmsim.freeTable(k.buddy, notATable)).toThrow(KernelBug);
    expect(mmsim.sysBrk(p.mm, -4096)).toBe(p.mm.brk);
  });
});

const API = apiTargets();
const EXPORTS = exportTargets();

describe('the enumeration', () => {
  it('finds every entry point by reflection, so later ones are covered as they land', () => {
    expect(privateNamesArePrivate).toEqual([true, true, true, true, true]);
    const names = (group: string): string[] =>
      API.filter((t) => t.group === group).map((t) => t.name);
    expect(names('p.sys')).toEqual(
      expect.arrayContaining(['brk', 'mmap', 'munmap', 'mprotect', 'madvise', 'read', 'write']),
    );
    expect(names('p.sys')).toEqual(expect.arrayContaining(['mlock', 'mincore', 'getrlimit']));
    expect(names('p.libc')).toEqual(expect.arrayContaining(['brk', 'sbrk', 'mmap', 'getrlimit']));
    expect(names('k')).toEqual(
      expect.arrayContaining(['kmalloc', 'kzalloc', 'getFreePages', 'registerShrinker', 'proc']),
    );
    expect(names('p')).toEqual(expect.arrayContaining(['load32', 'store8', 'read', 'write']));
    expect(names('k.vfs')).toEqual(expect.arrayContaining(['writeFile', 'readFile', 'stat']));
    expect(names('p')).not.toContain('enterKernel');
    expect(EXPORTS.length).toBeGreaterThan(100);
    expect(EXPORTS.find((t) => t.name === 'boot')?.group).toBe('Kernel');
    // Machine parts are recognised from the declared types.
    const zap = EXPORTS.find((t) => t.name === 'zapRange') as Target;
    expect(zap.parts.map((p) => p !== null)).toEqual([true, true, false, false, false]);
  });
});

describe('hostile values everywhere', () => {
  it('the Kernel, Process, p.sys, p.libc, k.vfs and KmemCache methods follow the rules', () => {
    fc.assert(
      fc.property(fc.constantFrom<ArchName>('x86_64', 'x86_64', 'i386'), fc.gen(), (arch, g) =>
        runCalls(g, arch, API, 3),
      ),
      { numRuns: 150 },
    );
  });

  it('every function and static method the package exports follows the rules', () => {
    fc.assert(
      fc.property(fc.constantFrom<ArchName>('x86_64', 'i386'), fc.gen(), (arch, g) =>
        runCalls(g, arch, EXPORTS, 1),
      ),
      { numRuns: 200 },
    );
  });
});
