// Writes docs/export-schema.json from the compiled zod schema (run `npm run build` first).
// src/episode/export-schema.test.ts fails when the file and the code disagree.
import { writeFileSync } from 'node:fs';
import { exportJsonSchemaText } from '../dist/episode/export-schema.js';

writeFileSync(new URL('../docs/export-schema.json', import.meta.url), exportJsonSchemaText());
console.log('docs/export-schema.json written');
