import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundle, outfile } from './bundle.mjs';

const bytes = await bundle();
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, bytes);
console.log(`dist/tarjotin.js: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} bytes gzipped`);
