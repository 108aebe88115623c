import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The gateway of `make dev` (the API, the development sign-in page and the runtime
// configuration) listens here (ADMIN_GATEWAY overrides it).
const gateway = process.env.ADMIN_GATEWAY ?? 'http://127.0.0.1:3000';

export default defineConfig({
    // Served by the API's origin at /admin/ (the server falls back to index.html for
    // unknown /admin/* paths, so that browser routes survive a reload).
    base: '/admin/',
    plugins: [react()],
    build: {
        outDir: 'dist',
        emptyOutDir: true,
        sourcemap: false,
        // Read by scripts/size.mjs to measure the first screen's JavaScript, then removed.
        manifest: true,
        chunkSizeWarningLimit: 1500,
    },
    server: {
        port: 5173,
        proxy: {
            '/v1': gateway,
            '/_dev': gateway,
            '/admin/config.json': gateway,
        },
    },
});
