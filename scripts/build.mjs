// Bundles the server for `npm start` and the `switchboard` command: src/cli/main.ts
// and what it imports become a few files in dist/cli/ (code loaded on first use,
// such as the XMPP client, stays in chunks of its own). Loading one bundle instead
// of several hundred modules takes about a third off the cold start. Type checking
// is tsc's job (npm run build runs it first); esbuild only strips the types.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The full-text index's worker thread is started by file name, from beside the chunk that starts it.
  entryPoints: [
    { in: 'src/cli/main.ts', out: 'main' },
    { in: 'src/store/sqlite/search-worker.ts', out: 'search-worker' },
  ],
  outdir: 'dist/cli', // src/cli/version.ts reads ../../package.json from here, as from src/cli
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // better-sqlite3 loads its compiled addon; pino finds its worker files by path.
  external: ['better-sqlite3', 'pino'],
  // Bundled CommonJS packages require Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
