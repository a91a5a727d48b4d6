import { mkdirSync, realpathSync, statfsSync, statSync } from 'node:fs';
import { dirname, sep } from 'node:path';

/**
 * statfs(2) magic numbers of the kernel's pseudo-filesystems, which cannot hold a database. Node's recursive
 * mkdir spins forever (100 % CPU, blocking the event loop so SIGTERM is never handled) when asked to create a
 * folder under /proc, so such a path is refused before anything is created.
 */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, '/proc'],
  [0x62656572, '/sys'],
]);

/** The path itself, or its nearest ancestor that exists; with whether it is a folder. */
function nearestExisting(path: string): { path: string; isDirectory: boolean } {
  let current = path;
  for (;;) {
    let stats;
    try {
      stats = statSync(current, { throwIfNoEntry: false });
    } catch (error) {
      // ENOTDIR: a file higher up; keep climbing to name it
      if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
    }
    if (stats) return { path: current, isDirectory: stats.isDirectory() };
    const parent = dirname(current);
    if (parent === current) return { path: current, isDirectory: true };
    current = parent;
  }
}

function pseudoFilesystem(folder: string): string | undefined {
  const real = realpathSync(folder);
  for (const root of PSEUDO_FILESYSTEMS.values()) if (real === root || real.startsWith(`${root}${sep}`)) return root;
  try {
    return PSEUDO_FILESYSTEMS.get(statfsSync(real).type);
  } catch {
    return undefined; // statfs is not available everywhere; the path check above is the main guard
  }
}

/** Why the folder of `dbPath` (absolute) cannot hold the database, or undefined when it can. */
export function sqliteFolderProblem(dbPath: string): string | undefined {
  const existing = nearestExisting(dirname(dbPath));
  if (!existing.isDirectory) {
    return `${existing.path} is a file, not a folder. SQLITE_PATH names the database file inside a folder, e.g. ./data/webhooks.db.`;
  }
  const pseudo = pseudoFilesystem(existing.path);
  if (pseudo !== undefined) {
    const through = existing.path === pseudo ? '' : ` (the path leads into it through ${existing.path})`;
    return `${pseudo} is a kernel pseudo-filesystem that cannot hold a database${through}. Set SQLITE_PATH to a file on disk, e.g. ./data/webhooks.db.`;
  }
  return undefined;
}

/** Throws with a plain reason when the folder cannot hold the database; otherwise creates it if missing. */
export function prepareSqliteFolder(dbPath: string): void {
  const problem = sqliteFolderProblem(dbPath);
  if (problem !== undefined) throw Object.assign(new Error(problem), { code: 'SQLITE_PATH_UNUSABLE' });
  mkdirSync(dirname(dbPath), { recursive: true });
}
