import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app calls /graphql on its own origin, over HTTP and WebSocket (live
// updates); dev and preview servers proxy both to the API (API_URL, default
// the API's default address).
const api = process.env.API_URL ?? 'http://127.0.0.1:4000';
const proxy = { '/graphql': { target: api, changeOrigin: false, ws: true } };

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy },
  build: { outDir: 'dist', sourcemap: true },
});
