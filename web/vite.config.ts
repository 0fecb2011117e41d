import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The viewer's build: one self-contained ES module, `trailkeep-viewer.js`, that defines the
 * element with all its styles inside (a host page loads it with one script tag), and the
 * page (`public/index.html`, copied as it is) that uses it. Output in dist/web, which the
 * server serves at /viewer/ and the package ships.
 */
export default defineConfig({
  root: here('.'),
  publicDir: here('public'),
  logLevel: 'warn',
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Library mode keeps an ES module's whitespace and module comments unless told otherwise;
    // the file ships as it is, so it is minified whole.
    minify: 'oxc',
    reportCompressedSize: false,
    lib: {
      entry: here('src/trailkeep-viewer.ts'),
      formats: ['es'],
      fileName: () => 'trailkeep-viewer.js',
    },
    // One file whatever the sources import: a host page loads it with a single script tag. The
    // bundled libraries' licence comments stay in it.
    rolldownOptions: {
      output: {
        minify: true,
        codeSplitting: false,
        comments: { legal: true, annotation: false, jsdoc: false },
      },
    },
  },
});
