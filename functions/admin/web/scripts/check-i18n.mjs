// Fails if the two catalogues (src/i18n/en.ts, src/i18n/zh.ts) differ in their key trees,
// if a message's %{placeholders} differ between them, if a message is empty, or if a key
// react-admin 5 looks up (ra.* in ra-core and ra-ui-materialui) is missing from either.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = join(root, 'node_modules', '.cache', 'check-i18n');
mkdirSync(out, { recursive: true });

async function load(name) {
    const source = readFileSync(join(root, 'src', 'i18n', `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const file = join(out, `${name}.mjs`);
    writeFileSync(file, outputText.replace(/from '\.\/(\w+)'/g, "from './$1.mjs'"));
    return (await import(`${pathToFileURL(file).href}?t=${Date.now()}`)).default;
}

function flatten(tree, prefix = '', into = new Map()) {
    for (const [k, v] of Object.entries(tree)) {
        const key = prefix ? `${prefix}.${k}` : k;
        if (typeof v === 'string') into.set(key, v);
        else if (v && typeof v === 'object') flatten(v, key, into);
        else into.set(key, v);
    }
    return into;
}

const placeholders = s => new Set([...String(s).matchAll(/%\{(\w+)\}/g)].map(m => m[1]));

const en = flatten(await load('en'));
const zh = flatten(await load('zh'));
const errors = [];
for (const k of en.keys()) if (!zh.has(k)) errors.push(`missing in zh: ${k}`);
for (const k of zh.keys()) if (!en.has(k)) errors.push(`missing in en: ${k}`);
for (const [k, v] of en) {
    if (typeof v !== 'string' || (v.trim() === '' && k !== 'ra.boolean.null')) {
        errors.push(`empty or not a string in en: ${k}`);
    }
    const z = zh.get(k);
    if (z === undefined) continue;
    if (typeof z !== 'string' || (z.trim() === '' && k !== 'ra.boolean.null')) {
        errors.push(`empty or not a string in zh: ${k}`);
        continue;
    }
    const a = [...placeholders(v)].sort().join(',');
    const b = [...placeholders(z)].sort().join(',');
    if (a !== b) errors.push(`placeholders differ at ${k}: en {${a}} zh {${b}}`);
}

// The keys react-admin itself looks up.
function jsFiles(dir, acc = []) {
    for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) jsFiles(path, acc);
        else if (name.endsWith('.js')) acc.push(path);
    }
    return acc;
}
const used = new Set();
for (const pkg of ['ra-core', 'ra-ui-materialui']) {
    const dist = join(root, 'node_modules', pkg, 'dist');
    for (const file of jsFiles(dist)) {
        for (const m of readFileSync(file, 'utf8').matchAll(/['"`](ra\.[A-Za-z_]+(?:\.[A-Za-z_]+)+)['"`]/g)) {
            used.add(m[1]);
        }
    }
}
for (const k of used) {
    if (!en.has(k)) errors.push(`react-admin uses ${k}: missing in en`);
    if (!zh.has(k)) errors.push(`react-admin uses ${k}: missing in zh`);
}

// For the record: what the react-admin 2 Chinese catalogue (the base of zh.ts) lacks.
const v2 = flatten(require('ra-language-chinese'));
const lacking = [...en.keys()].filter(k => k.startsWith('ra.') && !v2.has(k)).length;

if (errors.length > 0) {
    console.error(`check-i18n: ${errors.length} problem(s)`);
    for (const e of errors) console.error(`  ${e}`);
    process.exit(1);
}
console.log(
    `check-i18n: en and zh agree on ${en.size} keys (${used.size} used by react-admin itself; ` +
        `${lacking} ra.* keys written beyond ra-language-chinese 2.x)`,
);
