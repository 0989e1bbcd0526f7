/**
 * The boot options every command takes (`--arch`, `--memory`, `--slab`,
 * `--swap`, `--seed`): commander option definitions whose parsers reject a
 * bad value with a one-line message, and the boot that turns what is left
 * (a size out of range for the architecture) into a `UsageError`.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type BootOptions, parseSize } from '../boot-options.js';
import { Kernel } from '../kernel.js';
import { ARCH_NAMES, type ArchName } from '../page/arch.js';
import { KernelError } from '../page/errors.js';
import { SLAB_KINDS, type SlabKind } from '../slab/slab-kind.js';
import { UsageError } from './errors.js';

/** Boot options as the command line gives them (absent: not given). */
export interface BootFlags {
  readonly arch?: ArchName;
  readonly memory?: number;
  readonly slab?: SlabKind;
  readonly swap?: number | false;
  readonly seed?: number;
}

/** `parseSize`'s message without its `Kernel.boot: option: ` prefix. */
function sizeArgument(value: string, option: string): number {
  try {
    return parseSize(value, option);
  } catch (e) {
    if (e instanceof KernelError) {
      throw new InvalidArgumentError(e.message.replace(/^(E[A-Z]+: )?Kernel\.boot: [\w.]+: /, ''));
    }
    throw e;
  }
}

function seedArgument(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n <= 2 ** 32 - 1)) {
    throw new InvalidArgumentError(`expected an integer from 0 to ${2 ** 32 - 1}`);
  }
  return n;
}

/**
 * Adds the boot options to `command`. `over` says what they override when
 * given (for replay: the trace's `boot` op); the defaults are Kernel.boot's.
 */
export function addBootFlags(command: Command, over = ''): Command {
  const note = (dflt: string) => ` (default: ${over === '' ? '' : `${over}, else `}${dflt})`;
  return command
    .addOption(
      new Option('-a, --arch <name>', `architecture profile${note('x86_64')}`).choices(ARCH_NAMES),
    )
    .addOption(
      new Option(
        '-m, --memory <size>',
        `RAM: bytes, or a size such as 16M or 1G${note('64M')}`,
      ).argParser((v) => sizeArgument(v, 'memory')),
    )
    .addOption(
      new Option('--slab <allocator>', `slab allocator${note('slub')}`).choices(SLAB_KINDS),
    )
    .addOption(
      new Option(
        '--swap <size>',
        `a swap area of this size, e.g. 64M, or "off"${note('off')}`,
      ).argParser((v) => (v === 'off' || v === 'none' ? false : sizeArgument(v, 'swap'))),
    )
    .addOption(
      new Option('--seed <n>', `seed of every random choice${note('0')}`).argParser(seedArgument),
    );
}

/** The boot options a command's parsed flags give (only those given). */
export function bootFlagsOf(opts: Record<string, unknown>): BootFlags {
  const flags: {
    arch?: ArchName;
    memory?: number;
    slab?: SlabKind;
    swap?: number | false;
    seed?: number;
  } = {};
  if (opts.arch !== undefined) flags.arch = opts.arch as ArchName;
  if (opts.memory !== undefined) flags.memory = opts.memory as number;
  if (opts.slab !== undefined) flags.slab = opts.slab as SlabKind;
  if (opts.swap !== undefined) flags.swap = opts.swap as number | false;
  if (opts.seed !== undefined) flags.seed = opts.seed as number;
  return flags;
}

/** `base` with the command line's flags laid over it. */
export function withFlags(base: BootOptions, flags: BootFlags): BootOptions {
  const merged: Record<string, unknown> = { ...base };
  if (flags.arch !== undefined) merged.arch = flags.arch;
  if (flags.memory !== undefined) merged.memory = flags.memory;
  if (flags.slab !== undefined) merged.slab = flags.slab;
  if (flags.swap !== undefined) merged.swap = flags.swap === false ? false : { size: flags.swap };
  if (flags.seed !== undefined) merged.seed = flags.seed;
  return merged as BootOptions;
}

/**
 * Boots, turning a boot option the kernel refuses (a size the
 * architecture cannot hold) into a `UsageError` that names the flag.
 */
export function bootKernel(options: BootOptions): Kernel {
  try {
    return Kernel.boot(options);
  } catch (e) {
    if (e instanceof KernelError && e.code === 'EINVAL') {
      const m = /^(?:E[A-Z]+: )?Kernel\.boot: (\w+)(?:\.\w+)?: (.*)$/.exec(e.message);
      if (m !== null) throw new UsageError(`--${m[1]}: ${m[2]}`);
      throw new UsageError(e.message);
    }
    throw e;
  }
}
