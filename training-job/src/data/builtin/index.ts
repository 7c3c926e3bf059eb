import { compareStrings } from '../types.js';
import type { BuiltinRow } from './packages.js';
import { loadSentiment } from './sentiment.js';
import { loadSpam } from './spam.js';

/** What `listBuiltinDatasets` tells about a builtin dataset. */
export interface BuiltinDatasetInfo {
  readonly name: string;
  readonly description: string;
  readonly rows: number;
  readonly licence: string;
}

interface Builtin extends BuiltinDatasetInfo {
  readonly load: () => Promise<BuiltinRow[]>;
}

const BUILTINS: readonly Builtin[] = [
  {
    name: 'sentiment',
    description:
      'UCI Sentiment Labelled Sentences: 3,000 Amazon, IMDb and Yelp review sentences labelled negative/positive (Kotzias et al., KDD 2015)',
    rows: 3000,
    licence: 'CC BY 4.0',
    load: loadSentiment,
  },
  {
    name: 'spam',
    description: 'SpamAssassin public corpus: 6,046 emails (subject + body) labelled ham/spam',
    rows: 6046,
    licence: 'PDDL 1.0 / CC0 1.0 (public domain)',
    load: loadSpam,
  },
];

/** The datasets `loadDataset('builtin:<name>')` knows. */
export function listBuiltinDatasets(): readonly BuiltinDatasetInfo[] {
  return BUILTINS.map(({ name, description, rows, licence }) => ({ name, description, rows, licence }));
}

// Parsed rows per builtin, kept for the life of the process: evaluating after training, or trying
// several seeds, then costs no second parse of 6,046 emails. Rows are never mutated.
const loaded = new Map<string, Promise<readonly BuiltinRow[]>>();

/** A builtin's rows sorted by their stable id, or undefined for an unknown name. */
export async function loadBuiltinRows(name: string): Promise<readonly BuiltinRow[] | undefined> {
  const builtin = BUILTINS.find((b) => b.name === name);
  if (builtin === undefined) return undefined;
  let rows = loaded.get(name);
  if (rows === undefined) {
    rows = builtin.load().then((list) => list.sort((a, b) => compareStrings(a.id, b.id)));
    loaded.set(name, rows);
    // A failed load (package missing) is retried next time rather than remembered.
    rows.catch(() => loaded.delete(name));
  }
  return rows;
}
