// SPDX-License-Identifier: MIT
// Loads a .heapsnapshot with the parser of VS Code's heap snapshot viewer
// (@vscode/v8-heap-parser: Rust compiled to WebAssembly) and lists every
// node it has, class by class (its summary view's grouping), with the
// retained size it computed.
//
//   node vscode.mjs FILE [--time]
//
// Prints one JSON document: the load time (parsing, dominators, retained
// sizes and class groups), the root's index, the number of nodes listed, and
// per node index (its ordinal in the file) its id, type, name, self size and
// retained size; with --time only the load time and the number of classes.
import * as fs from 'node:fs';
import {createRequire} from 'node:module';
import {performance} from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const parser = require('@vscode/v8-heap-parser');

const [file, ...flags] = process.argv.slice(2);
if (!file) {
  console.error('usage: node vscode.mjs FILE [--time]');
  process.exit(2);
}
const t0 = performance.now();
const graph = parser.decode_bytes(fs.readFileSync(file));
const groups = graph.get_class_groups(0, 1 << 20, false);
const seconds = (performance.now() - t0) / 1000;
if (flags.includes('--time')) {
  process.stdout.write(JSON.stringify({load_seconds: seconds, classes: groups.length}) + '\n');
  process.exit(0);
}
const nodes = {};
let listed = 0;
groups.forEach((group, c) => {
  // one call per class: each call sorts anew, and ties need not come in the same order twice
  for (const n of graph.class_children(c, 0, group.children_len, parser.WasmSortBy.SelfSize)) {
    nodes[n.index] = {id: n.id, type: n.typ, name: n.name(), self: Number(n.self_size),
                      retained: Number(n.retained_size)};
    listed++;
    n.free();
  }
  group.free();
});
process.stdout.write(JSON.stringify({load_seconds: seconds, root: graph.root_index, listed, nodes}) + '\n');
