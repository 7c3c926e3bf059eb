import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type Io, Output } from './output.js';
import { PROJECT_FILE, writeInitialProject } from './project.js';

/** `slipway init`: writes a slipway.json with the defaults spelled out; never overwrites one. */
export function initCommands(program: Command, io: Io): void {
  program
    .command('init')
    .description(
      `Write a ${PROJECT_FILE} project file here (model, data, trainer, hyperparameters, gate, compute)`,
    )
    .option('--dir <folder>', 'the project root to write it in', '.')
    .option('--json', 'print what was written as JSON')
    .action(async (flags: { dir: string; json?: boolean }) => {
      const out = new Output(io, Boolean(flags.json));
      const path = await writeInitialProject(resolve(flags.dir));
      out.result({ path }, () =>
        [
          `wrote ${path}`,
          'edit it (your editor completes and checks it through "$schema"), then: npx slipway run',
        ].join('\n'),
      );
    });
}
