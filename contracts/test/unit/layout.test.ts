// The definition writes store paths as text (States.Format); they must be the layout's keys, or training
// writes where Evaluate never looks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARTIFACT_FILE, layout, recordId, STORE_AREAS } from '../../src/index.js';

const definition = readFileSync(new URL('../../state-machine.asl.json', import.meta.url), 'utf8');
/** Every `${StoreUri}/…` path in the definition, with `{}` placeholders filled by `job` parts. */
const storePaths = [...definition.matchAll(/\$\{StoreUri\}\/([^'"]+)/g)].map((m) => m[1] ?? '');

describe('the store layout', () => {
  it('is where the definition sends training output and where Evaluate reads the artifact', () => {
    const job = 'sentiment-r1'; // States.Format('{}-{}', $.model, $.runId)
    const filled = storePaths.map((p) => p.replace('{}-{}', job));
    expect(filled).toContain(layout.runs().replace(/\/$/, ''));
    expect(filled).toContain(layout.runOutput(job));
    expect(filled).toContain(layout.runArtifact(job));
    expect(layout.runArtifact(job)).toBe(`runs/${job}/output/${ARTIFACT_FILE}`);
  });

  it('has an area for every top-level folder the definition names', () => {
    const tops = new Set(storePaths.map((p) => p.split('/')[0]));
    for (const top of tops) expect(STORE_AREAS as readonly string[]).toContain(top);
    expect(layout.datasetVersion('d', 'abc')).toBe('datasets/d/abc/');
  });

  it("reads a record's id back from its key, and nothing else under the same folder", () => {
    expect(recordId(layout.claims('m'), layout.claim('m', 7))).toBe('7');
    expect(recordId(layout.executionMarkers('m'), layout.executionMarker('m', 'exec-1'))).toBe('exec-1');
    expect(recordId(layout.servers('m'), layout.server('m', 'host-1-8080'))).toBe('host-1-8080');
    expect(recordId(layout.claims('m'), 'models/m/claims/7.json.tmp-1')).toBeUndefined();
    expect(recordId(layout.claims('m'), 'models/m/claims/x/7.json')).toBeUndefined();
    expect(recordId(layout.claims('m'), 'models/m/claims/.json')).toBeUndefined();
    expect(recordId(layout.claims('m'), layout.claim('other', 7))).toBeUndefined();
  });
});
