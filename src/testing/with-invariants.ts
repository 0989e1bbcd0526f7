/**
 * "Invariants after every command" for commands of your own: wraps each
 * command so that a check runs after its `run`, without writing it into
 * every command. The kit's own command sets already check after every
 * command; use these for yours, or to add a check of your own to theirs.
 */
import type fc from 'fast-check';
import type { Kernel } from '../kernel.js';

/**
 * Wraps every command of `commands` so that `check(model, real)` runs
 * after each `run`. `check` and `toString` are kept, so counterexamples
 * read the same.
 *
 * @example
 * ```ts
 * const commands = afterEachCommand([get, put], (model, real) => agree(model, real));
 * ```
 */
export function afterEachCommand<M extends object, R>(
  commands: readonly fc.Arbitrary<fc.Command<M, R>>[],
  check: (model: M, real: R) => void,
): fc.Arbitrary<fc.Command<M, R>>[] {
  return commands.map((arb) =>
    arb.map(
      (cmd): fc.Command<M, R> => ({
        check: (model) => cmd.check(model),
        run: (model, real) => {
          cmd.run(model, real);
          check(model, real);
        },
        toString: () => cmd.toString(),
      }),
    ),
  );
}

/** A system under test that is, or has, a booted machine. */
export interface KernelReal {
  /** The machine. */
  readonly k: Kernel;
}

/**
 * Wraps every command so that `real.k.checkInvariants()` runs after each
 * one: the kernel's own bookkeeping (page allocator, slab, page tables,
 * reclaim) is checked after every step of your code.
 *
 * @example
 * ```ts
 * fc.commands(withInvariants([get, put, shrink]), { maxCommands: 200 });
 * ```
 */
export function withInvariants<M extends object, R extends KernelReal>(
  commands: readonly fc.Arbitrary<fc.Command<M, R>>[],
): fc.Arbitrary<fc.Command<M, R>>[] {
  return afterEachCommand(commands, (_model, real) => real.k.checkInvariants());
}
