import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = import.meta.dirname;

export default defineConfig({
  // Main bundles three Node entry points: the Electron glue, the headless host and the CLI; they
  // share the engine; only index.js imports electron. And the journal upgrade's worker thread.
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        // keytar is an optional dependency (it compiles against libsecret): loaded at run time when it
        // is there, never bundled, so the app builds and runs without it.
        external: ['keytar'],
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          host: resolve(root, 'electron/host/main.ts'),
          cli: resolve(root, 'electron/cli/bin.ts'),
          'journal-upgrade': resolve(root, 'electron/engine/journal/upgrade-worker.ts'),
        },
      },
    },
  },
  // A sandboxed preload must be one CommonJS file with nothing external but electron.
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [svelte({ configFile: resolve(root, 'svelte.config.js') })],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
