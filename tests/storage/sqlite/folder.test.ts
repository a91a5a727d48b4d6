import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageOpenError } from '../../../src/storage/errors';
import { openSqliteDatabase } from '../../../src/storage/sqlite/database';
import { sqliteFolderProblem } from '../../../src/storage/sqlite/folder';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-folder-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The error `fn` throws (and fails the test when it throws nothing). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

const onLinux = existsSync('/proc/self') ? it : it.skip;

describe('An SQLITE_PATH whose folder cannot hold a database', () => {
  it('says plainly that the parent is a file, not EEXIST from mkdir', () => {
    const file = join(dir, 'data');
    writeFileSync(file, 'x');
    const error = thrown(() => openSqliteDatabase(join(file, 'webhooks.db')));
    expect(error).toBeInstanceOf(StorageOpenError);
    expect(error.message).toContain(`${file} is a file, not a folder`);
    expect(error.message).not.toMatch(/EEXIST|ENOTDIR|mkdir/);
  });

  it('names the ancestor that is a file when the path goes deeper', () => {
    const file = join(dir, 'data');
    writeFileSync(file, 'x');
    expect(sqliteFolderProblem(join(file, 'a', 'b', 'webhooks.db'))).toContain(`${file} is a file, not a folder`);
  });

  it('accepts a folder that does not exist yet, and creates it', () => {
    const path = join(dir, 'a', 'b', 'webhooks.db');
    expect(sqliteFolderProblem(path)).toBeUndefined();
    openSqliteDatabase(path).close();
    expect(existsSync(path)).toBe(true);
  });

  onLinux('refuses a path under /proc at once instead of spinning in mkdir', () => {
    const error = thrown(() => openSqliteDatabase('/proc/data/webhooks.db'));
    expect(error).toBeInstanceOf(StorageOpenError);
    expect(error.message).toContain('(SQLITE_PATH): /proc is a kernel pseudo-filesystem that cannot hold a database.');
    expect(error.message).toContain('Set SQLITE_PATH to a file on disk');
  });

  onLinux('refuses /proc and /sys reached through a symbolic link', () => {
    symlinkSync('/proc', join(dir, 'link'));
    const link = join(dir, 'link');
    expect(sqliteFolderProblem(join(link, 'data', 'webhooks.db'))).toContain(`/proc is a kernel pseudo-filesystem that cannot hold a database (the path leads into it through ${link})`);
    expect(sqliteFolderProblem('/sys/kernel/webhooks.db')).toContain('/sys is a kernel pseudo-filesystem that cannot hold a database (the path leads into it through /sys/kernel)');
  });
});
