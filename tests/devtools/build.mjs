// SPDX-License-Identifier: MIT
// Bundles Chrome DevTools' own heap snapshot loader (HeapSnapshotLoader,
// HeapSnapshot: the code behind the Memory tab) from the npm package into
// build/devtools-heap.mjs, for load.mjs to run under node. The package's
// TypeScript sources import './x.js' for './x.ts', and a generated locales
// module it does not ship; both are resolved here.
//
//   node build.mjs
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const resolveTs = {
  name: 'devtools-sources',
  setup(build) {
    build.onResolve({filter: /locales\.js$/}, args =>
      args.importer.includes(path.join('core', 'i18n')) ? {path: path.join(here, 'src', 'locales.js')} : undefined);
    build.onResolve({filter: /\.js$/}, args => {
      if (!args.importer.includes('chrome-devtools-frontend') || !args.path.startsWith('.')) {
        return undefined;
      }
      const js = path.resolve(args.resolveDir, args.path);
      const ts = js.replace(/\.js$/, '.ts');
      return {path: fs.existsSync(js) ? js : ts};
    });
  },
};

await esbuild.build({
  entryPoints: [path.join(here, 'src', 'entry.js')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node18',
  outfile: path.join(here, 'build', 'devtools-heap.mjs'),
  plugins: [resolveTs],
  logLevel: 'warning',
});
