import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Cross-origin isolation lets the wasm backend use SharedArrayBuffer threads. The same two headers
// must be sent by any static host the app is deployed to (see README, "Deploying").
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  // credentialless (not require-corp) still isolates the page, and lets an opaque probe tell a CORS
  // refusal from an unreachable host when downloading images.
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

export default defineConfig({
  plugins: [react()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  // No minification: tfjs-wasm starts its threads from the source text of its own factory
  // function (toString), which a minifier makes refer to names outside it ("e is not defined").
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, minify: false },
});
