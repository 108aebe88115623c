// Measures the JavaScript the first screen loads (the entry chunk and every chunk it
// imports statically) and each lazily loaded page, gzipped, from Vite's manifest; fails
// the build past the budget. The manifest is removed afterwards (it is not served).
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const manifestPath = join(dist, '.vite', 'manifest.json');
if (!existsSync(manifestPath)) {
    console.error('size: no dist/.vite/manifest.json (run vite build first)');
    process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
// kB: 1000 bytes, as Vite prints them.
const BUDGET = 500 * 1000;

// gzip at its default level (6), as a server compresses on the fly.
const gz = file => gzipSync(readFileSync(join(dist, file))).length;
const raw = file => readFileSync(join(dist, file)).length;

/** The files of `key` and of everything it imports statically. */
function closure(key, seen = new Set()) {
    if (seen.has(key)) return seen;
    seen.add(key);
    for (const dep of manifest[key].imports ?? []) closure(dep, seen);
    return seen;
}

const entries = Object.keys(manifest).filter(k => manifest[k].isEntry);
const first = new Set();
for (const e of entries) closure(e, first);
const files = [...first].map(k => manifest[k].file);
const kb = n => `${(n / 1000).toFixed(1)} kB`;
const firstGz = files.reduce((sum, f) => sum + gz(f), 0);
const firstRaw = files.reduce((sum, f) => sum + raw(f), 0);
console.log(`first screen JS: ${files.length} file(s), ${kb(firstRaw)} raw, ${kb(firstGz)} gzipped`);
for (const f of files) console.log(`  ${f}  ${kb(raw(f))} raw, ${kb(gz(f))} gzipped`);

// Each lazily loaded page: what it adds beyond the first screen.
const lazy = Object.keys(manifest).filter(k => manifest[k].isDynamicEntry);
for (const k of lazy) {
    const extra = [...closure(k)].filter(x => !first.has(x)).map(x => manifest[x].file);
    const size = extra.reduce((sum, f) => sum + gz(f), 0);
    console.log(`lazy ${k}: ${extra.length} file(s), ${kb(size)} gzipped (${extra.join(', ')})`);
}

rmSync(join(dist, '.vite'), { recursive: true, force: true });
if (firstGz > BUDGET) {
    console.error(`size: the first screen's JS (${kb(firstGz)} gzipped) is over ${kb(BUDGET)}`);
    process.exit(1);
}
