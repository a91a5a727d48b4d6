// Copies the history page's static files next to the compiled code (dist/ui/public), so `node dist/server.js`
// serves them without the source tree. Run by `npm run build` after tsc.
const fs = require('node:fs');
const path = require('node:path');

const from = path.join(__dirname, '..', 'src', 'ui', 'public');
const to = path.join(__dirname, '..', 'dist', 'ui', 'public');
fs.rmSync(to, { recursive: true, force: true });
fs.cpSync(from, to, { recursive: true });
