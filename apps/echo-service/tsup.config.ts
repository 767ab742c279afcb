import { defineConfig } from 'tsup';

// An application, not a library: one ESM entry per executable, no type declarations.
// tcp-worker: the module spawnWorkers forks (--workers); checksum-task: the WorkerPool's task.
export default defineConfig({
  entry: ['src/cli.ts', 'src/tcp-worker.ts', 'src/checksum-task.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node22',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
});
