/**
 * Replaying a parsed trace on a machine: each op becomes the system call,
 * memory access or kernel call it names, labels become the processes,
 * addresses and objects they were bound to. The result is the machine and
 * counts of what ran; reading /proc of that machine (the CLI's report and
 * summary) is the caller's business.
 *
 * What running decides, and how it is reported:
 *
 * - An op of a process the OOM killer has killed is skipped and counted
 *   (`skipped`); the kill is recorded with the line whose op was running.
 *   A label the skipped op would have defined (a child it would have
 *   forked, a mapping it would have made) names the killed process, so
 *   the ops that use it are skipped too. Kernel ops are never skipped.
 * - A call that fails when the op expected success (or succeeds, or fails
 *   otherwise, when `expect` named an errno), a segmentation fault, a
 *   `read` that finds another value than the one it checks, and a kernel
 *   bug all stop the replay with a `TraceReplayError` naming the line.
 */

import type { BootOptions } from '../boot-options.js';
import { Kernel } from '../kernel.js';
import { formatAddress } from '../page/address.js';
import { Errno, errnoName } from '../page/errno.js';
import { KernelBug, KernelError, SegmentationFault } from '../page/errors.js';
import type { KmemCache } from '../slab/kmem-cache.js';
import { MAP_ANONYMOUS, MAP_SHARED, O_RDONLY, O_RDWR, PROT_WRITE } from '../vm/mman.js';
import type { Process } from '../vm/process.js';
import { VM_WRITE } from '../vm/vma.js';
import { TraceReplayError } from './errors.js';
import { resolveLabel } from './labels.js';
import type { Expect, Trace, TraceOp } from './ops.js';
import { parseTrace } from './parse.js';
import { NO_PROGRESS, type ReplayProgress } from './progress.js';

type Binding =
  | { readonly kind: 'process'; readonly p: Process }
  | {
      readonly kind: 'mapping';
      readonly owner: Process;
      readonly addr: number;
      readonly len: number;
    }
  | { readonly kind: 'kmalloc'; readonly ptr: number }
  | { readonly kind: 'object'; readonly cache: KmemCache; readonly ptr: number }
  | { readonly kind: 'pages'; readonly pfn: number; readonly order: number }
  | { readonly kind: 'cache'; readonly cache: KmemCache };

type BindingOf<K extends Binding['kind']> = Extract<Binding, { kind: K }>;

/** An OOM kill during a replay. */
export interface ReplayKill {
  /** The line of the op that was running when the OOM killer chose its victim. */
  readonly line: number;
  /** The victim's label in the trace (`''` if it had none). */
  readonly label: string;
  /** The victim's pid. */
  readonly pid: number;
  /** The victim's name (`comm`). */
  readonly name: string;
}

/** What a replay ran. */
export interface ReplayStats {
  /** The trace's name (its file, as given to {@link parseTrace}). */
  readonly trace: string;
  /** Lines in the trace. */
  readonly lines: number;
  /** Ops run (repeat bodies counted once per iteration, the repeats themselves not). */
  readonly ops: number;
  /** Ops not run because their process had been killed by the OOM killer. */
  readonly skipped: number;
  /** Ops that failed with the errno their `expect` named. */
  readonly expectedFailures: number;
  /** OOM kills, with the line whose op was running. */
  readonly kills: readonly ReplayKill[];
}

/** What a replay leaves: the machine, the processes the trace made, and what ran. */
export interface ReplayResult {
  /** The machine after the trace. */
  readonly kernel: Kernel;
  /** The processes the trace spawned or forked, in creation order (exited and killed ones too). */
  readonly processes: readonly Process[];
  /** The names of the caches the trace created. */
  readonly caches: readonly string[];
  /** Counts of what ran. */
  readonly stats: ReplayStats;
}

/** Options of {@link replayTrace}. */
export interface ReplayOptions {
  /**
   * Boot options laid over the trace's `boot` op, field by field (a
   * command line's `--memory 16M`, say).
   */
  readonly boot?: BootOptions;
  /**
   * A machine to replay on instead of booting one; the trace's `boot` op
   * and `boot` are then not used. Processes the machine already has are
   * left alone (the trace's labels name only what it made).
   */
  readonly kernel?: Kernel;
  /** Told how far the replay is: `start` with the op count, a `tick` per op, `stop`. */
  readonly progress?: ReplayProgress;
}

/** Thrown inside an op when it is to be skipped (its process was killed). */
class Skip {}

class Replayer {
  private readonly labels = new Map<string, Binding>();
  private readonly labelOf = new Map<Process, string>();
  readonly processes: Process[] = [];
  readonly kills: { line: number; label: string; pid: number; name: string }[] = [];
  private readonly killed = new Set<Process>();
  private readonly caches = new Set<string>();
  ops = 0;
  skipped = 0;
  expectedFailures = 0;
  private oomKills = 0;
  private readonly pageSize: number;
  /** The process the current op runs in, for messages. */
  private running: Process | null = null;

  constructor(
    readonly k: Kernel,
    private readonly progress: ReplayProgress,
  ) {
    this.pageSize = k.PAGE_SIZE;
  }

  private fail(op: TraceOp, detail: string, cause?: unknown): never {
    throw new TraceReplayError(op.at, op.op, detail, cause === undefined ? undefined : { cause });
  }

  /** The iteration of each enclosing repeat, innermost last. */
  private readonly iterations: number[] = [];

  /** `label` with `{i}` replaced by the innermost repeat's iteration. */
  private name(label: string): string {
    return resolveLabel(label, this.iterations.at(-1));
  }

  private bind(label: string, binding: Binding): void {
    this.labels.set(this.name(label), binding);
  }

  private get<K extends Binding['kind']>(op: TraceOp, template: string, kind: K): BindingOf<K> {
    const label = this.name(template);
    const b = this.labels.get(label);
    // The parser checked every label; this guards the replayer itself.
    if (b === undefined || b.kind !== kind)
      this.fail(op, `internal error: label "${label}" is not ${kind}`);
    return b as BindingOf<K>;
  }

  /** The process named `label`; skips the op when it was killed. */
  private proc(op: TraceOp, label: string): Process {
    const { p } = this.get(op, label, 'process');
    if (p.state === 'killed') throw new Skip();
    this.running = p;
    return p;
  }

  private addProcess(p: Process, label: string): void {
    this.processes.push(p);
    if (!this.labelOf.has(p)) this.labelOf.set(p, label);
  }

  /**
   * Checks a call's result (a value, or -errno) against the op's `expect`;
   * true when it failed as expected. `what` names the call in messages when
   * it is not the op itself (an `open` inside `mmap`); `'NULL'` words a
   * kernel allocator's NULL, which counts as ENOMEM.
   */
  private expectResult(op: TraceOp, expect: Expect, result: number, what = ''): boolean {
    const subject = what === '' || what === 'NULL' ? '' : `${what} `;
    if (result >= 0) {
      if (expect !== 'ok')
        this.fail(op, `${subject}succeeded, but "expect" says it fails with ${expect}`);
      return false;
    }
    const code = errnoName(result) ?? `errno ${-result}`;
    const failed =
      what === 'NULL' ? `returned NULL (${code})` : `${subject}failed with ${code} (${result})`;
    if (expect === 'ok') {
      this.fail(op, `${failed}; if the trace means it to fail, add "expect": "${code}"`);
    }
    if (code !== expect) this.fail(op, `${failed}, but "expect" says ${expect}`);
    this.expectedFailures++;
    return true;
  }

  /** The mapping, the process and the byte range a range op works on. */
  private range(
    op: TraceOp & { map: string; proc: string | null; offset: number; len: number | null },
  ) {
    const m = this.get(op, op.map, 'mapping');
    const p = op.proc === null ? m.owner : this.proc(op, op.proc);
    if (p.state === 'killed') throw new Skip();
    this.running = p;
    const len = op.len ?? m.len - op.offset;
    return { p, addr: m.addr + op.offset, len };
  }

  /** Runs `ops` in order. */
  run(ops: readonly TraceOp[]): void {
    for (const op of ops) {
      if (op.op === 'repeat') {
        for (let i = 0; i < op.times; i++) {
          this.iterations.push(i);
          this.run(op.ops);
          this.iterations.pop();
        }
        continue;
      }
      this.running = null;
      try {
        this.step(op);
        this.ops++;
      } catch (e) {
        if (e instanceof Skip) this.skipped++;
        else this.failed(op, e);
      }
      this.progress.tick();
      const kills = this.k.events.get('oom_kill');
      if (kills !== this.oomKills) {
        this.oomKills = kills;
        this.noteKills(op);
      }
    }
  }

  /** Records the processes killed since the last look. */
  private noteKills(op: TraceOp): void {
    for (const p of this.processes) {
      if (p.state !== 'killed' || this.killed.has(p)) continue;
      this.killed.add(p);
      this.kills.push({
        line: op.at.line,
        label: this.labelOf.get(p) ?? '',
        pid: p.pid,
        name: p.name,
      });
    }
  }

  /** An op threw: the OOM killer ended its own process (the op ends there), or the replay fails. */
  private failed(op: TraceOp, e: unknown): void {
    if (e instanceof TraceReplayError) throw e;
    if (e instanceof KernelError && this.running !== null && this.running.state === 'killed') {
      // The op's process was chosen by the OOM killer while it ran.
      this.ops++;
      return;
    }
    if (e instanceof SegmentationFault) {
      const p = this.running;
      this.fail(
        op,
        `${e.signal} (${e.siCode}) at ${formatAddress(e.address)}${p === null ? '' : ` in process "${this.labelOf.get(p) ?? p.name}" (pid ${p.pid})`}`,
        e,
      );
    }
    if (e instanceof KernelBug || e instanceof KernelError) this.fail(op, e.message, e);
    throw e;
  }

  private step(op: TraceOp): void {
    const k = this.k;
    switch (op.op) {
      case 'spawn': {
        const p = k.spawn({ name: this.name(op.name) });
        this.addProcess(p, this.name(op.as));
        this.bind(op.as, { kind: 'process', p });
        return;
      }
      case 'fork': {
        const parent = this.get(op, op.proc, 'process').p;
        this.running = parent;
        if (parent.state === 'killed') {
          if (op.as !== '') this.bind(op.as, { kind: 'process', p: parent });
          throw new Skip();
        }
        let child: Process;
        try {
          child = parent.fork();
        } catch (e) {
          if (e instanceof KernelError && e.code === 'ENOMEM' && parent.state === 'running') {
            this.expectResult(op, op.expect, -Errno.ENOMEM);
            return;
          }
          throw e;
        }
        this.expectResult(op, op.expect, child.pid);
        this.addProcess(child, this.name(op.as));
        this.bind(op.as, { kind: 'process', p: child });
        return;
      }
      case 'exit':
        this.proc(op, op.proc).exit();
        return;
      case 'oom_score_adj':
        this.proc(op, op.proc).oomScoreAdj = op.value;
        return;
      case 'write_file': {
        const bytes = new Uint8Array(op.size);
        const pattern = new TextEncoder().encode(op.text);
        for (let at = 0; at < op.size; at += pattern.length) {
          bytes.set(pattern.subarray(0, Math.min(pattern.length, op.size - at)), at);
        }
        k.vfs.writeFile(op.path, bytes);
        return;
      }
      case 'mmap': {
        const owner = this.get(op, op.proc, 'process').p;
        this.running = owner;
        if (owner.state === 'killed') {
          if (op.as !== null) this.bind(op.as, { kind: 'mapping', owner, addr: 0, len: op.len });
          throw new Skip();
        }
        let fd = -1;
        if (op.file !== null) {
          const rw = (op.flags & MAP_SHARED) !== 0 && (op.prot & PROT_WRITE) !== 0;
          fd = owner.sys.open(op.file, rw ? O_RDWR : O_RDONLY);
          if (fd < 0) {
            this.expectResult(op, op.expect, fd, `open(${JSON.stringify(op.file)})`);
            return;
          }
        }
        const addr = owner.sys.mmap(
          0,
          op.len,
          op.prot,
          op.flags | (op.file === null ? MAP_ANONYMOUS : 0),
          fd,
          op.fileOffset,
        );
        if (fd >= 0) owner.sys.close(fd);
        if (this.expectResult(op, op.expect, addr)) return;
        if (op.as !== null) this.bind(op.as, { kind: 'mapping', owner, addr, len: op.len });
        return;
      }
      case 'munmap': {
        const { p, addr, len } = this.range(op);
        this.expectResult(op, op.expect, p.sys.munmap(addr, len));
        return;
      }
      case 'mprotect': {
        const { p, addr, len } = this.range(op);
        this.expectResult(op, op.expect, p.sys.mprotect(addr, len, op.prot));
        return;
      }
      case 'madvise': {
        const { p, addr, len } = this.range(op);
        this.expectResult(op, op.expect, p.sys.madvise(addr, len, op.advice));
        return;
      }
      case 'msync': {
        const { p, addr, len } = this.range(op);
        this.expectResult(op, op.expect, p.sys.msync(addr, len, op.flags));
        return;
      }
      case 'brk': {
        const owner = this.get(op, op.proc, 'process').p;
        this.running = owner;
        if (owner.state === 'killed') {
          if (op.as !== null) this.bind(op.as, { kind: 'mapping', owner, addr: 0, len: op.incr });
          throw new Skip();
        }
        const old = owner.sys.brk(0);
        const now = owner.sys.brk(old + op.incr);
        if (this.expectResult(op, op.expect, now === old + op.incr ? 0 : -Errno.ENOMEM)) return;
        if (op.as !== null) this.bind(op.as, { kind: 'mapping', owner, addr: old, len: op.incr });
        return;
      }
      case 'touch':
      case 'read':
      case 'write': {
        const { p, addr, len } = this.range(op);
        const stride = op.stride === 0 ? this.pageSize : op.stride;
        const steps = Math.ceil(len / stride);
        // "index": the step's number counted from the mapping's start, so a read of part of a
        // mapping checks the values a write of all of it stored.
        const first = Math.floor(op.offset / stride);
        if (op.op === 'write') {
          for (let i = 0; i < steps; i++) {
            p.store32(addr + i * stride, op.value === 'index' ? (first + i) >>> 0 : op.value);
          }
        } else if (op.op === 'read') {
          for (let i = 0; i < steps; i++) {
            const got = p.load32(addr + i * stride);
            const want = op.value === 'index' ? (first + i) >>> 0 : op.value;
            if (want !== null && got !== want) {
              this.fail(
                op,
                `read 0x${got.toString(16)} at offset ${op.offset + i * stride} of "${this.name(op.map)}", expected 0x${want.toString(16)}`,
              );
            }
          }
        } else {
          // touch: a write where the mapping allows it (keeping the data), a read elsewhere.
          const vmas = p.mm.vmas;
          for (let i = 0; i < steps; i++) {
            const va = addr + i * stride;
            const vma = vmas.lookup(va);
            const word = p.load32(va);
            if (vma !== undefined && (vma.flags & VM_WRITE) !== 0) p.store32(va, word);
          }
        }
        return;
      }
      case 'kmalloc': {
        const ptr = k.kmalloc(op.size, op.gfp);
        if (this.expectResult(op, op.expect, ptr === null ? -Errno.ENOMEM : 0, 'NULL')) return;
        if (op.as !== null) this.bind(op.as, { kind: 'kmalloc', ptr: ptr as number });
        return;
      }
      case 'kfree':
        k.kfree(this.get(op, op.obj, 'kmalloc').ptr);
        return;
      case 'alloc_pages': {
        const pfn = k.allocPages(op.gfp, op.order);
        if (this.expectResult(op, op.expect, pfn === null ? -Errno.ENOMEM : 0, 'NULL')) return;
        if (op.as !== null)
          this.bind(op.as, { kind: 'pages', pfn: pfn as number, order: op.order });
        return;
      }
      case 'free_pages': {
        const b = this.get(op, op.obj, 'pages');
        k.freePages(b.pfn, b.order);
        return;
      }
      case 'cache_create': {
        const cache = k.kmemCacheCreate(
          op.name,
          op.size,
          op.align === null ? { flags: op.flags } : { flags: op.flags, align: op.align },
        );
        this.caches.add(op.name);
        this.bind(op.as, { kind: 'cache', cache });
        return;
      }
      case 'cache_alloc': {
        const { cache } = this.get(op, op.cache, 'cache');
        const ptr = k.kmemCacheAlloc(cache, op.gfp);
        if (this.expectResult(op, op.expect, ptr === null ? -Errno.ENOMEM : 0, 'NULL')) return;
        if (op.as !== null) this.bind(op.as, { kind: 'object', cache, ptr: ptr as number });
        return;
      }
      case 'cache_free': {
        const b = this.get(op, op.obj, 'object');
        k.kmemCacheFree(b.cache, b.ptr);
        return;
      }
      case 'cache_shrink':
        this.get(op, op.cache, 'cache').cache.shrink();
        return;
      case 'cache_destroy':
        k.kmemCacheDestroy(this.get(op, op.cache, 'cache').cache);
        return;
      case 'kswapd':
        k.kswapd();
        return;
      case 'drain_pages':
        k.drainAllPages();
        return;
      case 'check':
        k.checkInvariants();
        return;
      case 'repeat':
        this.run([op]);
        return;
    }
  }

  /** Names of the caches the trace created. */
  get cacheNames(): readonly string[] {
    return [...this.caches];
  }
}

function checkOptions(options: unknown): ReplayOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('replayTrace: options must be an object');
  }
  const o = options as ReplayOptions;
  for (const key of Object.keys(o)) {
    if (key !== 'boot' && key !== 'kernel' && key !== 'progress') {
      throw new TypeError(
        `replayTrace: unknown option ${JSON.stringify(key)} (expected boot, kernel, progress)`,
      );
    }
  }
  if (o.kernel !== undefined && !(o.kernel instanceof Kernel)) {
    throw new TypeError('replayTrace: options.kernel must be a Kernel');
  }
  if (o.boot !== undefined && (typeof o.boot !== 'object' || o.boot === null)) {
    throw new TypeError('replayTrace: options.boot must be an object of boot options');
  }
  const p = o.progress;
  if (
    p !== undefined &&
    (typeof p !== 'object' ||
      p === null ||
      typeof p.start !== 'function' ||
      typeof p.tick !== 'function' ||
      typeof p.stop !== 'function')
  ) {
    throw new TypeError('replayTrace: options.progress must have start, tick and stop methods');
  }
  return o;
}

/**
 * Replays a trace: boots a machine with the trace's `boot` op (with
 * `options.boot` laid over it), or takes `options.kernel`, and runs each
 * op as the system call, memory access or kernel call it names. This is
 * what `mmsim replay` runs.
 *
 * An op of a process the OOM killer has killed is skipped and counted; the
 * kill is recorded with the line of the op that was running. Anything else
 * that goes wrong stops the replay with a {@link TraceReplayError}.
 *
 * @param trace - a trace from {@link parseTrace} or {@link validateTrace}, or its text (parsed first, named `<trace>`)
 * @param options - {@link ReplayOptions}
 * @returns the machine after the trace, the processes it made and counts of what ran
 * @throws TraceSyntaxError when `trace` is text that is not a valid trace (nothing ran)
 * @throws TraceReplayError when an op fails, naming its line
 * @throws KernelError when the boot options are refused (`EINVAL`), before any op ran
 * @throws TypeError for an options object of the wrong shape
 *
 * @example
 * ```ts
 * const trace = parseTrace(
 *   [
 *     '{"op":"boot","memory":"16M"}',
 *     '{"op":"spawn","as":"app"}',
 *     '{"op":"mmap","proc":"app","len":"1M","as":"buf"}',
 *     '{"op":"write","map":"buf","value":"index"}',
 *   ].join('\n'),
 *   'example.jsonl',
 * );
 * const { kernel, processes, stats } = replayTrace(trace, { boot: { swap: { size: '16M' } } });
 * stats.ops; // 3
 * kernel.proc(`/proc/${processes[0]?.pid}/status`).includes('VmRSS:'); // true
 * ```
 */
export function replayTrace(trace: Trace | string, options: ReplayOptions = {}): ReplayResult {
  const parsed = typeof trace === 'string' ? parseTrace(trace) : trace;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(parsed.ops)) {
    throw new TypeError('replayTrace: trace must be a Trace from parseTrace, or its text');
  }
  const { boot, kernel, progress = NO_PROGRESS } = checkOptions(options);
  const k = kernel ?? Kernel.boot({ ...parsed.boot, ...boot });
  const r = new Replayer(k, progress);
  progress.start('replay', parsed.opCount, 'ops');
  try {
    r.run(parsed.ops);
  } finally {
    progress.stop();
  }
  return {
    kernel: k,
    processes: r.processes,
    caches: r.cacheNames,
    stats: {
      trace: parsed.file,
      lines: parsed.lines,
      ops: r.ops,
      skipped: r.skipped,
      expectedFailures: r.expectedFailures,
      kills: r.kills,
    },
  };
}
