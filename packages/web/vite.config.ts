import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app calls /graphql on its own origin, over HTTP and WebSocket (live
// updates); dev and preview servers proxy both to the API (API_URL, default
// the API's default address).
const api = process.env.API_URL ?? 'http://127.0.0.1:4000';
// Uploads and downloads of attachments too: the API signs links for the
// origin it was reached at (the Host header, kept by changeOrigin: false).
const proxy = {
  '/graphql': { target: api, changeOrigin: false, ws: true },
  '/uploads': { target: api, changeOrigin: false },
  '/attachments': { target: api, changeOrigin: false },
};

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy },
  build: { outDir: 'dist', sourcemap: true },
});
