/**
 * Progress bars for long runs (a big trace, the demo's memory pressure),
 * drawn with cli-progress on a terminal only (and not with `--quiet`). Without a terminal the bar
 * is a no-op object, so callers report progress unconditionally and pipes,
 * files and tests get no escape sequences.
 *
 * Callers report every op; the bar forwards one call in `STEP` to
 * cli-progress, which redraws at most `fps` times a second, so reporting
 * costs a counter increment on the hot path.
 */
import cliProgress from 'cli-progress';
import { NO_PROGRESS, type ReplayProgress } from '../trace/index.js';

/**
 * A progress bar: `start`, many `tick`s, `stop` (which clears it, so the
 * report that follows starts on a clean line). The library's
 * `ReplayProgress`, which the replayer and the demo report to.
 */
export type Progress = ReplayProgress;

export { NO_PROGRESS };

/** Units counted before the bar is told. */
const STEP = 64;

/** A cli-progress bar on `stream`, or `NO_PROGRESS` when there is no terminal to draw on. */
export function createProgress(stream: NodeJS.WritableStream | undefined): Progress {
  if (stream === undefined) return NO_PROGRESS;
  let bar: cliProgress.SingleBar | null = null;
  let done = 0;
  let told = 0;
  return {
    start(label, total, unit) {
      bar?.stop();
      done = 0;
      told = 0;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          fps: 10,
          etaBuffer: 200,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    tick(n = 1) {
      done += n;
      if (bar !== null && done - told >= STEP) {
        told = done;
        bar.update(done);
      }
    },
    stop() {
      if (bar === null) return;
      bar.update(done);
      bar.stop();
      bar = null;
    },
  };
}
