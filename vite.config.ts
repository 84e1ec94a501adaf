import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { MODEL_JSON_PATH, WEIGHTS_CACHE } from './src/protocol/assets.ts';
import { RELAY_PATH } from './src/protocol/ingest.ts';
import { createRelay, relayOptionsFromEnv } from './src/server/relay.ts';
import { serviceWorker } from './src/server/service-worker-build.ts';

// Cross-origin isolation lets the wasm backend use SharedArrayBuffer threads. The same headers
// must be sent by any static host the app is deployed to (see README, "Deploying").
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  // credentialless (not require-corp) still isolates the page, and lets an opaque probe tell a CORS
  // refusal from an unreachable host when downloading images.
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

/**
 * What the built app needs and nothing more: its own scripts, WebAssembly compiled at run time (our
 * SIMD kernels, tfjs-wasm), workers and their scripts from itself or blob: (tfjs-wasm's threads), images and fetches
 * from any http(s) host (the user's URL lists), no plugins, no framing, no form posts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // blob: for tfjs-wasm's thread workers, which importScripts() their code from a blob: URL.
  "script-src 'self' blob: 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "img-src 'self' blob: data: http: https:",
  "connect-src 'self' blob: data: http: https:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const securityHeaders = {
  ...isolationHeaders,
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

// The dev server's React refresh preamble is an inline script, its CSS arrives as <style> elements
// and its updates over a WebSocket: in development only, the policy allows those three (the built
// app runs under the strict one).
const devHeaders = {
  ...securityHeaders,
  'Content-Security-Policy': CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'",
    "script-src 'self' 'unsafe-inline'",
  )
    .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    .replace("connect-src 'self'", "connect-src 'self' ws: wss:"),
};

/** The same-origin image relay (src/server/relay.ts) on the dev and preview servers. */
function imageRelay(): Plugin {
  const relay = createRelay(relayOptionsFromEnv(process.env));
  return {
    name: 'image-relay',
    configureServer(server) {
      server.middlewares.use(RELAY_PATH, (req, res) => void relay(req, res));
    },
    configurePreviewServer(server) {
      server.middlewares.use(RELAY_PATH, (req, res) => void relay(req, res));
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    imageRelay(),
    serviceWorker({
      source: 'src/sw/service-worker.ts',
      modelJson: `/${MODEL_JSON_PATH}`,
      weightsCache: WEIGHTS_CACHE,
      networkOnly: RELAY_PATH,
    }),
  ],
  server: { headers: devHeaders },
  preview: { headers: securityHeaders },
  // The UI is fully minified. The workers are minified without `compress`: tfjs-wasm (in the ML
  // worker) starts its threads from the source text of its own factory function (toString), and
  // compression moves code that function needs outside it (the model never loads: measured in the
  // offline e2e); whitespace removal and renaming keep it self-contained (wasm threads on).
  worker: { format: 'es', rolldownOptions: { output: { minify: { compress: false, mangle: true } } } },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, minify: true },
});
