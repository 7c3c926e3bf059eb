#!/usr/bin/env node
import { EXIT_CODES } from '@slipway/contracts';
import { main } from '../dist/main.js';

// A reader that stops early (`slipway train --help | head -1`) closes the pipe, and the next write fails
// with EPIPE. Stop quietly as Unix tools do on SIGPIPE, instead of an unhandled 'error' event's stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(EXIT_CODES.brokenPipe);
    throw error;
  });
}

process.exitCode = await main(process.argv);
