'use strict';
// Where the bytes of a measured thing go: the difference between two V8 heap snapshots (before and after making
// `count` of it), grouped by what V8 calls each node (an object's constructor, a string's kind, an array's
// owner), in bytes per item. Self sizes only: a Buffer's bytes live outside the heap (arrayBuffers), and are
// reported by the caller from process.memoryUsage().
const fs = require('node:fs');

function groups(file) {
  const snapshot = JSON.parse(fs.readFileSync(file, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const { nodes, strings } = snapshot;
  const byKey = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const name = strings[nodes[i + nameAt]];
    // Strings by kind (their text would make one group each); objects and arrays by constructor or owner.
    const key = type.includes('string') || type === 'number' ? type : `${type} ${name.length > 40 ? `${name.slice(0, 40)}…` : name}`;
    const group = byKey.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += nodes[i + sizeAt];
    byKey.set(key, group);
  }
  return byKey;
}

/** Per item: count and bytes of each group that grew, largest first, and a printable table. */
function breakdown(beforeFile, afterFile, count) {
  const before = groups(beforeFile);
  const after = groups(afterFile);
  fs.rmSync(beforeFile);
  fs.rmSync(afterFile);
  const rows = [];
  for (const [key, group] of after) {
    const was = before.get(key) ?? { count: 0, bytes: 0 };
    const bytes = (group.bytes - was.bytes) / count;
    if (Math.abs(bytes) >= 2) rows.push({ what: key, 'objects each': Math.round(((group.count - was.count) / count) * 100) / 100, 'bytes each': Math.round(bytes) });
  }
  rows.sort((a, b) => b['bytes each'] - a['bytes each']);
  const total = rows.reduce((sum, row) => sum + row['bytes each'], 0);
  const table = [...rows.map((r) => `${String(r['bytes each']).padStart(6)} B  ${String(r['objects each']).padStart(6)} x  ${r.what}`), `${String(total).padStart(6)} B  total`].join('\n');
  return { rows, totalBytesEach: total, table };
}

module.exports = { breakdown };
