/**
 * The `mmsim` executable (dist/cli.js, built with a `#!/usr/bin/env node`
 * banner; package.json "bin").
 */
import { runAsProcess } from './process-io.js';

runAsProcess(process.argv.slice(2));
