// The operator's dashboard: built into dashboard/dist (git-ignored) by `npm run build`, which `npm ci` runs (prepare).
// Served under /dashboard/ by every paysaga process and by `paysaga up`'s front door.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/dashboard/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 300 },
  logLevel: 'warn',
});
