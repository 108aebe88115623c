// The typed client of the published API (shared/openapi.json → src/api/schema.d.ts): a
// change of the contract that breaks a call breaks the build.
import createClient, { type Middleware } from 'openapi-fetch';
import { HttpError } from 'react-admin';
import type { components, paths } from './schema';
import { getToken } from '../auth';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type InvalidParam = Schemas['InvalidParam'];

const bearer: Middleware = {
    onRequest({ request }) {
        const token = getToken();
        if (token) request.headers.set('Authorization', `Bearer ${token}`);
        return request;
    },
};

// Same origin: the API's paths are absolute (`/v1/...`).
export const api = createClient<paths>({ baseUrl: '' });
api.use(bearer);

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The RFC 9457 body of a failure, when the answer carried one. */
export function asProblem(body: unknown, status: number): Problem {
    if (isRecord(body) && typeof body.title === 'string') {
        const invalid = Array.isArray(body['invalid-params'])
            ? body['invalid-params'].filter(
                  (p): p is InvalidParam =>
                      isRecord(p) && typeof p.name === 'string' && typeof p.reason === 'string',
              )
            : undefined;
        return {
            type: typeof body.type === 'string' ? body.type : 'about:blank',
            title: body.title,
            status: typeof body.status === 'number' ? body.status : status,
            detail: typeof body.detail === 'string' ? body.detail : body.title,
            rule: typeof body.rule === 'string' ? body.rule : null,
            'invalid-params': invalid,
        };
    }
    const text = typeof body === 'string' && body.length > 0 ? body.slice(0, 300) : `HTTP ${status}`;
    return { type: 'about:blank', title: text, status, detail: text, rule: null };
}

/**
 * A failed call as react-admin knows errors: `status` (401 signs out), `body` the problem.
 * The message is the i18n key of the problem when the catalogues have one (react-admin
 * translates it), else the API's detail.
 */
export class ApiError extends HttpError {
    readonly problem: Problem;
    constructor(problem: Problem) {
        super(problemMessageKey(problem), problem.status, problem);
        // HttpError pins its own prototype: restore this class's (for instanceof).
        Object.setPrototypeOf(this, ApiError.prototype);
        this.name = 'ApiError';
        this.problem = problem;
    }
}

let knownKeys: ReadonlySet<string> = new Set();

/** The catalogue keys of rules and problem types (set once by the i18n module). */
export function setKnownProblemKeys(keys: ReadonlySet<string>): void {
    knownKeys = keys;
}

/** `app.rules.<rule>` if translated, else `app.problems.<type>`, else the detail. */
export function problemMessageKey(problem: Problem): string {
    if (problem.rule) {
        const key = `app.rules.${problem.rule}`;
        if (knownKeys.has(key)) return key;
        return problem.detail;
    }
    const kind = problem.type.replace(/^\/problems\//, '');
    const key = `app.problems.${kind}`;
    // A malformed request's detail names what did not parse: shown as is.
    if (problem.status !== 400 && knownKeys.has(key)) return key;
    return problem.detail;
}

export function isApiError(e: unknown): e is ApiError {
    return e instanceof ApiError;
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The data of a call, or an ApiError carrying its problem. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
    let answer: Answer<T>;
    try {
        answer = await call;
    } catch (e) {
        // The network itself failed (offline, blocked): status 0, never a sign-out.
        const detail = e instanceof Error ? e.message : String(e);
        throw new ApiError({
            type: '/problems/network',
            title: detail,
            status: 0,
            detail,
            rule: null,
        });
    }
    const { data, error, response } = answer;
    if (!response.ok || error !== undefined) {
        throw new ApiError(asProblem(error, response.status));
    }
    return data as T;
}
