/**
 * `npm run demo`: runs `mmsim demo` from the sources (no build needed), so
 * a fresh clone shows the narrated tour with `npm install && npm run demo`.
 * Options pass through: `npm run demo -- --swap 64M`, `npm run demo -- --help`.
 */
import { runAsProcess } from '../src/cli/process-io.js';

runAsProcess(['demo', ...process.argv.slice(2)]);
