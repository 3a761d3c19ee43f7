// SPDX-License-Identifier: MIT
// Loads a .heapsnapshot with Chrome DevTools' own code (HeapSnapshotLoader
// and JSHeapSnapshot from the chrome-devtools-frontend package, bundled by
// build.mjs), as the Memory tab does: the file is streamed into the loader
// in chunks, then the snapshot is built with its second worker's work done
// on a MessageChannel here (as DevTools' createJSHeapSnapshotForTesting does).
//
//   node load.mjs FILE [--all]
//
// Prints one JSON document: the load time, DevTools' node and edge counts,
// the problems it reported (nodes it found unreachable), the root's retained
// size; with --all, per node (by ordinal) its id, type, name, self size,
// edge count, retained size and immediate dominator's ordinal.
import * as fs from 'node:fs';
import {performance} from 'node:perf_hooks';

// The front end is written for a current Chrome; node 20 lacks this one.
if (!Promise.withResolvers) {
  Promise.withResolvers = () => {
    let resolve, reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return {promise, resolve, reject};
  };
}
const {HeapSnapshotLoader, SecondaryInitManager} = await import('./build/devtools-heap.mjs');

const [file, ...flags] = process.argv.slice(2);
if (!file) {
  console.error('usage: node load.mjs FILE [--all]');
  process.exit(2);
}
const problems = [];
console.warn = (...args) => problems.push(args.join(' '));

const t0 = performance.now();
const loader = new HeapSnapshotLoader(undefined);
for await (const chunk of fs.createReadStream(file, {encoding: 'utf8', highWaterMark: 1 << 20})) {
  loader.write(chunk);
}
loader.close();
const channel = new MessageChannel();
new SecondaryInitManager(channel.port2);
const snap = await loader.buildSnapshot(channel.port1);
const seconds = (performance.now() - t0) / 1000;
channel.port1.close();
channel.port2.close();

const out = {
  load_seconds: seconds,
  node_count: snap.nodeCount,
  edge_count: snap.containmentEdges.length / snap.edgeFieldsCount,
  problems,
  root_retained: snap.rootNode().retainedSize(),
};
if (flags.includes('--all')) {
  const node = snap.createNode(0);
  const ids = [], types = [], names = [], self = [], edges = [], retained = [], dominator = [];
  for (let i = 0; i < snap.nodeCount; i++) {
    node.nodeIndex = i * snap.nodeFieldCount;
    ids.push(node.id());
    types.push(node.type());
    names.push(node.name());
    self.push(node.selfSize());
    edges.push(node.edgesCount());
    retained.push(snap.retainedSizes[i]);
    dominator.push(snap.dominatorsTree[i]);
  }
  Object.assign(out, {ids, types, names, self, edges, retained, dominator});
}
process.stdout.write(JSON.stringify(out) + '\n');
