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

// The built app (vite preview) is never framed (clickjacking on the agents'
// pages), runs only its own scripts, and sends no Referer with the URL's
// ticket number or chat id. The API's origin stays reachable for links and
// uploads it hands out. The dev server goes without: its HMR needs inline scripts.
const csp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  `connect-src 'self' ${new URL(api).origin}`,
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
const headers = {
  'Content-Security-Policy': csp,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy, headers },
  build: { outDir: 'dist', sourcemap: true },
});
