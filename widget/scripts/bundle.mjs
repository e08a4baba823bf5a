// Deterministic esbuild configuration shared by the build script and the staleness test.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const outfile = fileURLToPath(new URL('../dist/tarjotin.js', import.meta.url));

/** Builds the bundle in memory and returns its bytes. Same sources + same esbuild = same bytes. */
export async function bundle() {
  const r = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/index.js'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    minify: true,
    charset: 'utf8',
    legalComments: 'none',
    sourcemap: false,
    metafile: false,
    write: false,
    logLevel: 'silent',
    banner: { js: '/* <tarjotin-search> widget. MIT OR Apache-2.0. https://github.com/tarjotin */' },
  });
  return Buffer.from(r.outputFiles[0].contents);
}
