#!/usr/bin/env node
/**
 * The `mmsim` executable (dist/cli.js, package.json "bin"). The hashbang
 * above is kept by the build as the first line of dist/cli.js only.
 */
import { runAsProcess } from './process-io.js';

runAsProcess(process.argv.slice(2));
