import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The page's Content-Security-Policy: everything (scripts, the engine worker, fetches of the base model
 * and corpora) from the page's own origin only. img-src also allows data: and blob: URLs, which the
 * page makes itself (the heatmap's PNG data URL, an exported chart's SVG blob drawn onto a canvas).
 * Styles: React sets `style` props through the CSSOM, which style-src does not govern, so no
 * 'unsafe-inline' is needed. No 'wasm-unsafe-eval' or blob: workers: the page uses neither (fflate is
 * used synchronously, without its worker pool).
 *
 * It goes into the built page as a <meta> tag only: Vite's dev server injects an
 * inline script for React refresh, which script-src 'self' would block. A dedicated worker does not
 * inherit a <meta> policy, so `vite preview` also sends the same policy as a header, which covers the
 * worker script's response; a static host should send it as a header too.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** The CSP as a <meta> tag in the built index.html only (dev's React-refresh preamble is an inline script). */
const cspMeta = (): Plugin => ({
  name: 'lora-lab-csp',
  apply: 'build',
  transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
});

export default defineConfig({
  plugins: [react(), cspMeta()],
  server: { port: 5173, host: 'localhost' },
  preview: { port: 4173, host: 'localhost', strictPort: true, headers: { 'Content-Security-Policy': CSP } },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
});
