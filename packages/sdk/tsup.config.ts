import { defineConfig } from 'tsup';

// ESM + CommonJS with type declarations, for browsers, Node 20 and workers.
export default defineConfig({
  entry: ['src/index.ts', 'src/documents.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: true,
  clean: true,
  treeshake: true,
});
