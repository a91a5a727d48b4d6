// Removes compiled files whose TypeScript source is gone (moved or deleted), after tsc. tsc never deletes
// outputs, and Node still resolves them: after src/config.ts became src/config/index.ts, a stale
// dist/config.js shadowed dist/config/index.js and `npm start` failed on a checkout updated with git pull.
// Run by `npm run build`; dist/ui/public (the page's own .js files, copied) is left alone.
const fs = require('node:fs');
const path = require('node:path');

/** Deletes every .js / .js.map under `dist` without a .ts at the same place under `src`; returns their paths. */
function pruneDist(dist, src) {
  const removed = [];
  const prune = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      const relative = path.relative(dist, file);
      if (entry.isDirectory()) {
        if (relative !== path.join('ui', 'public')) prune(file);
      } else if (/\.js(\.map)?$/.test(entry.name) && !fs.existsSync(path.join(src, relative.replace(/\.js(\.map)?$/, '.ts')))) {
        fs.rmSync(file);
        removed.push(relative);
      }
    }
  };
  if (fs.existsSync(dist)) prune(dist);
  return removed;
}

module.exports = { pruneDist };

if (require.main === module) {
  const root = path.join(__dirname, '..');
  pruneDist(path.join(root, 'dist'), path.join(root, 'src'));
}
