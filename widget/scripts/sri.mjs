// Prints the Subresource Integrity hash of the committed bundle.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { outfile } from './bundle.mjs';

const hash = 'sha384-' + createHash('sha384').update(readFileSync(outfile)).digest('base64');
console.log(hash);
if (process.argv.includes('--tag')) {
  console.log(`<script type="module" src="https://YOUR-API/widget/v1/tarjotin.js" integrity="${hash}" crossorigin="anonymous"></script>`);
}
