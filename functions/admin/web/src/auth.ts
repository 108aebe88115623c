// Sign-in, the bearer token and who the signed-in person is.
//
// The runtime configuration (/admin/config.json) says how people sign in:
// - `local`: the development gateway's page /_dev/sign-in sends the browser back with
//   `#token=<JWT>` in the fragment;
// - `cognito`: the hosted UI's authorization code flow with PKCE (S256), the id token
//   being the bearer token.
// The token lives in sessionStorage only (a tab's session), never in localStorage.
import type { AuthProvider, UserIdentity } from 'react-admin';

export type Role =
    | 'admin'
    | 'manager'
    | 'finance'
    | 'quality'
    | 'reviewer'
    | 'dispatcher'
    | 'agent'
    | 'warehouse'
    | 'technician'
    | 'customer';

/** The staff roles, most senior first: a person in several groups acts as the first. */
export const STAFF_ROLES: readonly Role[] = [
    'admin',
    'manager',
    'finance',
    'quality',
    'reviewer',
    'dispatcher',
    'agent',
    'warehouse',
    'technician',
];

export type LocalConfig = { mode: 'local' };
export type CognitoConfig = {
    mode: 'cognito';
    domain: string;
    client_id: string;
    redirect_uri: string;
    scopes: string[];
};
export type RuntimeConfig = LocalConfig | CognitoConfig;

const TOKEN_KEY = 'aftersales.admin.token';
const PKCE_KEY = 'aftersales.admin.pkce';
const AUTH_ERROR_KEY = 'aftersales.admin.auth-error';

/** Where the app is served (Vite's `base`, `/admin/`). */
export const BASE = import.meta.env.BASE_URL;

let config: RuntimeConfig = { mode: 'local' };

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseConfig(raw: unknown): RuntimeConfig {
    if (!isRecord(raw)) throw new Error('config.json is not an object');
    if (raw.mode === 'local') return { mode: 'local' };
    if (raw.mode === 'cognito') {
        const { domain, client_id, redirect_uri, scopes } = raw;
        if (
            typeof domain !== 'string' ||
            typeof client_id !== 'string' ||
            typeof redirect_uri !== 'string' ||
            !Array.isArray(scopes) ||
            !scopes.every(s => typeof s === 'string')
        ) {
            throw new Error('config.json: cognito needs domain, client_id, redirect_uri, scopes');
        }
        return {
            mode: 'cognito',
            domain: domain.replace(/\/+$/, ''),
            client_id,
            redirect_uri,
            scopes: scopes as string[],
        };
    }
    throw new Error('config.json: unknown mode');
}

/** Reads /admin/config.json (no bearer token: it is public). */
export async function loadConfig(): Promise<RuntimeConfig> {
    const response = await fetch(`${BASE}config.json`, {
        headers: { Accept: 'application/json' },
        cache: 'no-store',
    });
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    config = parseConfig(await response.json());
    return config;
}

export function getConfig(): RuntimeConfig {
    return config;
}

// ---------------------------------------------------------------- the token

export function getToken(): string | null {
    try {
        return sessionStorage.getItem(TOKEN_KEY);
    } catch {
        return null;
    }
}

function setToken(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
    try {
        sessionStorage.removeItem(TOKEN_KEY);
    } catch {
        // storage unavailable: nothing kept
    }
}

/** The error a failed sign-in left, shown once by the sign-in page. */
export function takeAuthError(): string | null {
    const error = sessionStorage.getItem(AUTH_ERROR_KEY);
    sessionStorage.removeItem(AUTH_ERROR_KEY);
    return error;
}

export type Claims = {
    sub: string;
    name: string | null;
    email: string | null;
    groups: string[];
    exp: number | null;
};

function base64UrlDecode(segment: string): Uint8Array {
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
}

/** `cognito:groups` as Cognito puts it in a token (an array) or as a gateway flattens it
 * (a string such as "[agent reviewer]"). */
export function parseGroups(value: unknown): string[] {
    if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
    if (typeof value === 'string') {
        return value
            .replace(/^\[|\]$/g, '')
            .split(/[\s,]+/)
            .map(g => g.trim())
            .filter(g => g.length > 0);
    }
    return [];
}

/** The token's payload, not verified (the API verifies it): only to know who and what. */
export function decodeToken(token: string): Claims | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
        const json: unknown = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1])));
        if (!isRecord(json) || typeof json.sub !== 'string') return null;
        return {
            sub: json.sub,
            name:
                typeof json.name === 'string'
                    ? json.name
                    : typeof json['cognito:username'] === 'string'
                      ? json['cognito:username']
                      : null,
            email: typeof json.email === 'string' ? json.email : null,
            groups: parseGroups(json['cognito:groups']),
            exp: typeof json.exp === 'number' ? json.exp : null,
        };
    } catch {
        return null;
    }
}

/** The most senior staff role among the groups; none: a customer. */
export function roleOf(groups: readonly string[]): Role {
    return STAFF_ROLES.find(r => groups.includes(r)) ?? 'customer';
}

function currentClaims(): Claims | null {
    const token = getToken();
    if (!token) return null;
    const claims = decodeToken(token);
    if (!claims) return null;
    // A minute's margin: a token about to expire would fail the next call anyway.
    if (claims.exp !== null && claims.exp * 1000 < Date.now() + 60_000) return null;
    return claims;
}

export type Identity = UserIdentity & { role: Role; name: string };

export function currentIdentity(): Identity | null {
    const claims = currentClaims();
    if (!claims) return null;
    const name = claims.name ?? claims.email ?? claims.sub;
    return { id: claims.sub, fullName: name, name, role: roleOf(claims.groups) };
}

// ---------------------------------------------------------------- signing in

function randomBase64Url(bytes: number): string {
    const data = crypto.getRandomValues(new Uint8Array(bytes));
    return base64UrlEncode(data);
}

function base64UrlEncode(data: Uint8Array): string {
    let binary = '';
    data.forEach(b => {
        binary += String.fromCharCode(b);
    });
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function s256(verifier: string): Promise<string> {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    return base64UrlEncode(new Uint8Array(digest));
}

type PkceState = { verifier: string; state: string; back: string };

/** Sends the browser to sign in; it comes back to `back` (a path under /admin/). */
export async function signIn(back: string): Promise<void> {
    const target = new URL(back, window.location.origin);
    if (config.mode === 'local') {
        const url = `/_dev/sign-in?return=${encodeURIComponent(target.href)}`;
        window.location.assign(url);
        return;
    }
    const verifier = randomBase64Url(48);
    const state = randomBase64Url(24);
    const pkce: PkceState = { verifier, state, back: target.pathname + target.search };
    sessionStorage.setItem(PKCE_KEY, JSON.stringify(pkce));
    const params = new URLSearchParams({
        response_type: 'code',
        client_id: config.client_id,
        redirect_uri: config.redirect_uri,
        scope: config.scopes.join(' '),
        state,
        code_challenge: await s256(verifier),
        code_challenge_method: 'S256',
    });
    window.location.assign(`${config.domain}/oauth2/authorize?${params.toString()}`);
}

function readPkce(): PkceState | null {
    const raw = sessionStorage.getItem(PKCE_KEY);
    sessionStorage.removeItem(PKCE_KEY);
    if (!raw) return null;
    try {
        const value: unknown = JSON.parse(raw);
        if (
            isRecord(value) &&
            typeof value.verifier === 'string' &&
            typeof value.state === 'string' &&
            typeof value.back === 'string'
        ) {
            return { verifier: value.verifier, state: value.state, back: value.back };
        }
    } catch {
        // fall through
    }
    return null;
}

/** Same-origin path under the app, else the app's root (no open redirect). */
function safeBack(back: string): string {
    return back.startsWith(BASE) && !back.startsWith('//') ? back : BASE;
}

/**
 * Completes a sign-in the browser came back from, before the app renders: takes the token
 * from the fragment (local) or exchanges the authorization code (cognito), then cleans the
 * address bar.
 */
export async function completeSignIn(): Promise<void> {
    const { hash, search, pathname } = window.location;
    if (hash.length > 1) {
        const fragment = new URLSearchParams(hash.slice(1));
        const token = fragment.get('token');
        if (token) {
            if (decodeToken(token)) setToken(token);
            else sessionStorage.setItem(AUTH_ERROR_KEY, 'app.auth.bad_token');
            window.history.replaceState(window.history.state, '', pathname + search);
        }
    }
    if (config.mode !== 'cognito') return;
    const query = new URLSearchParams(search);
    const code = query.get('code');
    const error = query.get('error');
    if (!code && !error) return;
    const pkce = readPkce();
    const back = safeBack(pkce?.back ?? BASE);
    window.history.replaceState(null, '', pathname);
    if (error) {
        sessionStorage.setItem(AUTH_ERROR_KEY, 'app.auth.refused');
        return;
    }
    if (!pkce || pkce.state !== query.get('state') || !code) {
        sessionStorage.setItem(AUTH_ERROR_KEY, 'app.auth.state_mismatch');
        return;
    }
    let body: unknown = null;
    try {
        const response = await fetch(`${config.domain}/oauth2/token`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
                grant_type: 'authorization_code',
                client_id: config.client_id,
                code,
                redirect_uri: config.redirect_uri,
                code_verifier: pkce.verifier,
            }),
        });
        body = response.ok ? await response.json() : null;
    } catch {
        body = null;
    }
    if (!isRecord(body) || typeof body.id_token !== 'string' || !decodeToken(body.id_token)) {
        sessionStorage.setItem(AUTH_ERROR_KEY, 'app.auth.exchange_failed');
        return;
    }
    setToken(body.id_token);
    window.history.replaceState(null, '', back);
}

// ---------------------------------------------------------------- react-admin

function statusOf(error: unknown): number | undefined {
    if (isRecord(error) && typeof error.status === 'number') return error.status;
    return undefined;
}

export const authProvider: AuthProvider = {
    // The sign-in page sends the browser away (see LoginPage): nothing to do here.
    login: () => Promise.resolve(),
    logout: () => {
        clearToken();
        return Promise.resolve('/login');
    },
    checkAuth: () =>
        currentClaims()
            ? Promise.resolve()
            : Promise.reject({ redirectTo: '/login', message: false }),
    checkError: error => {
        // A 401: the token is refused (expired, revoked): sign out. A 403 is a refusal of
        // this step for this role, shown as such.
        if (statusOf(error) === 401) {
            clearToken();
            return Promise.reject({ redirectTo: '/login', message: 'ra.notification.logged_out' });
        }
        return Promise.resolve();
    },
    getIdentity: () => {
        const identity = currentIdentity();
        return identity ? Promise.resolve(identity) : Promise.reject(new Error('signed out'));
    },
    getPermissions: () => Promise.resolve(currentIdentity()?.role ?? 'customer'),
};
