import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * `npm run dev:web` serves the app with hot reload and passes /api to the Tessera server
 * (`npm run dev`, or TESSERA_API). The server only takes cookie-authenticated changes from its own
 * origin (PUBLIC_URL), so the proxy presents them as coming from there.
 */
const api = process.env.TESSERA_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': {
        target: api,
        configure(proxy) {
          proxy.on('proxyReq', (request) => {
            if (request.getHeader('origin')) request.setHeader('origin', new URL(api).origin);
          });
        },
      },
    },
  },
});
