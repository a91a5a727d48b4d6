// Copies the history page's static files next to the compiled code (dist/ui/public), so `node dist/server.js`
// serves them without the source tree. Run by `npm run build` after tsc.
// File by file through a temporary name and a rename, and stale files removed last: a server already running
// from dist (the first instance of README's "Scale out" while `npm start` builds the second) never finds a
// page file missing or half written.
const fs = require('node:fs');
const path = require('node:path');

const from = path.join(__dirname, '..', 'src', 'ui', 'public');
const to = path.join(__dirname, '..', 'dist', 'ui', 'public');

/** Copies `src` into `dest` file by file, atomically each; returns the paths written, relative to `dest`. */
function copyTree(src, dest, relative = '') {
  const written = new Set();
  fs.mkdirSync(path.join(dest, relative), { recursive: true });
  for (const entry of fs.readdirSync(path.join(src, relative), { withFileTypes: true })) {
    const name = path.join(relative, entry.name);
    written.add(name);
    const existing = fs.statSync(path.join(dest, name), { throwIfNoEntry: false });
    // A file that became a folder in src, or the reverse.
    if (existing && existing.isDirectory() !== entry.isDirectory()) fs.rmSync(path.join(dest, name), { recursive: true, force: true });
    if (entry.isDirectory()) {
      for (const inner of copyTree(src, dest, name)) written.add(inner);
    } else {
      const target = path.join(dest, name);
      const temporary = `${target}.${process.pid}.tmp`;
      fs.copyFileSync(path.join(src, name), temporary);
      fs.renameSync(temporary, target);
    }
  }
  return written;
}

/** Removes what is under `dest` but was not written (files whose source is gone). */
function removeStale(dest, written, relative = '') {
  for (const entry of fs.readdirSync(path.join(dest, relative), { withFileTypes: true })) {
    const name = path.join(relative, entry.name);
    if (!written.has(name)) fs.rmSync(path.join(dest, name), { recursive: true, force: true });
    else if (entry.isDirectory()) removeStale(dest, written, name);
  }
}

removeStale(to, copyTree(from, to));
