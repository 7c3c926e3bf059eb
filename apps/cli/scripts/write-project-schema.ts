// Writes apps/cli/slipway.schema.json from the zod schema of slipway.json (`npm run schema`); a unit
// test fails while the published file differs from what this writes.
import { writeFile } from 'node:fs/promises';
import { PROJECT_SCHEMA_PATH, projectJsonSchemaText } from '../src/project.js';

await writeFile(PROJECT_SCHEMA_PATH, projectJsonSchemaText());
process.stdout.write(`wrote ${PROJECT_SCHEMA_PATH}\n`);
