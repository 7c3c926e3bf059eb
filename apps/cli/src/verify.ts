import { resolve } from 'node:path';
import { describeTrainer } from '@slipway/contracts';
import { openStore, type VerificationOutcome, type VerificationRecord } from '@slipway/model-store';
import { localRebuild } from '@slipway/runner-local';
import { verifyVersion } from '@slipway/steps';
import type { Command } from 'commander';
import { currentActor, storeOption } from './common.js';
import type { ExitName, ExitStatus } from './exit-codes.js';
import { type Io, Output } from './output.js';

/** The exit of each verification outcome. */
export const VERIFY_EXITS: Readonly<Record<VerificationOutcome, ExitName>> = {
  reproducible: 'succeeded',
  differs: 'verifyDiffers',
  'not-deterministic': 'verifyNotDeterministic',
  'dataset-refused': 'verifyDatasetRefused',
  unverifiable: 'verifyUnverifiable',
};

/** A verification as people read it. */
export function describeVerification(record: VerificationRecord): string {
  const lines = [
    `${record.model} v${record.version}: ${record.outcome}`,
    `  ${record.summary}`,
    `  registered   ${record.registeredSha256 ?? '-'}`,
    `  rebuilt      ${record.rebuiltSha256 ?? '- (nothing was trained)'}`,
  ];
  if (record.trainer) lines.push(`  trainer      ${describeTrainer(record.trainer)}`);
  if (record.environment) {
    const e = record.environment;
    lines.push(
      `  environment  node ${e.node}, onnxruntime ${e.onnxruntime}, ${e.platform}${e.image ? `, image ${e.image}` : ''}`,
    );
  }
  if (record.differences.length > 0) {
    lines.push('  differs from the recorded lineage:');
    for (const d of record.differences)
      lines.push(
        `    ${d.field.padEnd(24)} recorded ${d.recorded ?? 'unknown'}, rebuilt ${d.rebuilt ?? 'unknown'}`,
      );
  }
  if (record.predictions) {
    const p = record.predictions;
    lines.push(
      `  predictions  same label on ${p.sameLabel} of ${p.rows} test rows; largest probability difference ${p.maxProbabilityDiff.toPrecision(3)}`,
    );
  }
  lines.push(`  recorded     ${record.at} by ${record.by} (${record.where})`);
  return lines.join('\n');
}

/** `slipway verify <model> <version>`. */
export function verifyCommands(program: Command, io: Io, status: ExitStatus): void {
  program
    .command('verify')
    .description(
      'Rebuild a registered version from its lineage (stored dataset, trainer, hyperparameters) and compare model.onnx bit for bit',
    )
    .argument('<model>', 'model name')
    .argument('<version>', 'version number or alias')
    .addOption(storeOption())
    .option(
      '--workdir <dir>',
      "where a command trainer's recorded command runs (default: the current directory)",
    )
    .option('--json', 'print the verification record as JSON')
    .action(
      async (model: string, ref: string, flags: { store: string; json?: boolean; workdir?: string }) => {
        const out = new Output(io, Boolean(flags.json));
        const store = await openStore(flags.store, { actor: currentActor() });
        try {
          const { version } = await store.getManifest(model, /^\d+$/.test(ref) ? Number(ref) : ref);
          const record = await verifyVersion(model, version, {
            store,
            where: 'local',
            rebuild: localRebuild(store, {
              log: (line) => out.info(`  | ${line}`),
              ...(flags.workdir ? { workdir: resolve(flags.workdir) } : {}),
            }),
            log: (line) => out.info(line),
          });
          out.result(record, () => describeVerification(record));
          status.set(VERIFY_EXITS[record.outcome]);
        } finally {
          await store.close();
        }
      },
    );
}
