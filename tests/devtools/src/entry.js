// SPDX-License-Identifier: MIT
// What the harness needs of DevTools' heap snapshot worker, bundled by build.mjs.
export {HeapSnapshotLoader} from 'chrome-devtools-frontend/front_end/entrypoints/heap_snapshot_worker/HeapSnapshotLoader.js';
export {SecondaryInitManager} from 'chrome-devtools-frontend/front_end/entrypoints/heap_snapshot_worker/HeapSnapshot.js';
