import { userInfo } from 'node:os';
import { Option } from 'commander';

/** Where commands look when neither --store nor SLIPWAY_STORE says otherwise. */
export const DEFAULT_STORE = 'file://./.slipway/store';

/** `--store <uri>`, defaulting to SLIPWAY_STORE or the project's `.slipway/store`. */
export function storeOption(): Option {
  return new Option('--store <uri>', 'model store: file:///path, ./path or s3://bucket/prefix')
    .env('SLIPWAY_STORE')
    .default(DEFAULT_STORE);
}

/** Who is acting, for approvals and alias moves: SLIPWAY_ACTOR, else the OS user. */
export function currentActor(): string {
  if (process.env.SLIPWAY_ACTOR) return process.env.SLIPWAY_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** "1.2 s", "340 ms", "2 min 3 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
