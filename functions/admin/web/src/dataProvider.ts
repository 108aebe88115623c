// react-admin's data provider over the typed client. Lists are cursor-paged by the API
// (`limit`, `cursor`, `next_cursor`): the cursor that starts each page is kept, so that
// react-admin's page numbers map onto them (next, previous and first page).
import { useMemo } from 'react';
import {
    useLogoutIfAccessDenied,
    type DataProvider,
    type GetListParams,
    type GetListResult,
    type GetOneParams,
    type GetOneResult,
    type RaRecord,
} from 'react-admin';
import { api, unwrap, type Schemas } from './api/client';

export type CaseSummary = Schemas['CaseSummary'];
export type CaseView = Schemas['CaseView'];
export type CaseStatus = Schemas['CaseStatus'];
export type CaseType = Schemas['CaseType'];
export type Stage = Schemas['Stage'];

type Page = { items: CaseSummary[]; next_cursor?: string };

/** The deadline a queue sorts on: the return's next deadline, the work order's promise,
 * else the first answer due (the API's `CaseSummary::due_at`, which orders the queues). */
export function deadlineOf(c: CaseSummary): string {
    return c.deadline?.due ?? c.work?.due ?? c.first_response_due;
}

// Key (resource, filter, page size) → cursors[page] starts that page (page 1: none).
const cursors = new Map<string, (string | undefined)[]>();
const MAX_WALK = 20;

function str(v: unknown): string | undefined {
    return typeof v === 'string' && v.length > 0 ? v : undefined;
}

// The value sets of the API's filters (the queues' choices, and what a filter may pass on).
export const CASE_STATUSES: readonly CaseStatus[] = [
    'submitted',
    'in_progress',
    'awaiting_customer',
    'resolved',
    'closed',
    'cancelled',
];
export const CASE_TYPES: readonly CaseType[] = [
    'repair',
    'return_refund',
    'refund_only',
    'exchange',
    'installation',
    'logistics_inquiry',
    'order_problem',
    'price_protection',
    'complaint',
    'technical_support',
];
export const STAGES: readonly Stage[] = [
    'awaiting_decision',
    'rejected',
    'escalated',
    'awaiting_shipment',
    'in_transit',
    'received',
    'reship_pending',
    'refund_pending',
    'refunded',
    'exchanged',
    'send_back_pending',
    'sent_back',
    'lapsed',
    'cancelled',
];

/** A day picked in the browser (`YYYY-MM-DD`) as the instant its local midnight starts, or
 * with `after` the next day's: the API's bounds are instants, `to` exclusive. */
export function dayStart(v: unknown, after = false): string | undefined {
    const day = str(v);
    if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
    const [y, m, d] = day.split('-').map(Number);
    const start = new Date(y, m - 1, d + (after ? 1 : 0));
    return Number.isNaN(start.getTime()) ? undefined : start.toISOString();
}

function oneOf<T extends string>(all: readonly T[], v: unknown): T | undefined {
    return all.find(x => x === v);
}

async function fetchPage(
    resource: string,
    filter: Record<string, unknown>,
    limit: number,
    cursor: string | undefined,
): Promise<Page> {
    switch (resource) {
        case 'cases':
            return unwrap(
                api.GET('/v1/cases', {
                    params: {
                        query: {
                            status: oneOf(CASE_STATUSES, filter.status),
                            type: oneOf(CASE_TYPES, filter.type),
                            customer_id: str(filter.customer_id),
                            from: dayStart(filter.from),
                            to: dayStart(filter.to, true),
                            limit,
                            cursor,
                        },
                    },
                }),
            );
        case 'returns':
            return unwrap(
                api.GET('/v1/returns', {
                    params: {
                        query: {
                            stage: oneOf(STAGES, filter.stage) ?? 'awaiting_decision',
                            limit,
                            cursor,
                        },
                    },
                }),
            );
        case 'work-orders':
            return unwrap(
                api.GET('/v1/work-orders', {
                    params: {
                        query: {
                            late: filter.late === true || filter.late === 'true' ? true : undefined,
                            technician: str(filter.technician),
                            limit,
                            cursor,
                        },
                    },
                }),
            );
        default:
            throw new Error(`unknown resource ${resource}`);
    }
}

async function getList(resource: string, params: GetListParams): Promise<GetListResult> {
    const filter = params.filter ?? {};
    const limit = Math.min(Math.max(params.pagination?.perPage ?? 25, 1), 100);
    const wanted = Math.max(params.pagination?.page ?? 1, 1);
    const key = JSON.stringify([resource, filter, limit]);
    const known = cursors.get(key) ?? [undefined, undefined];
    cursors.set(key, known);
    // The nearest page whose cursor is known (a reload on page 3 walks from page 1).
    let page = wanted;
    while (page > 1 && known[page] === undefined) page--;
    if (wanted - page > MAX_WALK) page = 1;
    let result = await fetchPage(resource, filter, limit, known[page]);
    while (page < wanted && result.next_cursor) {
        page++;
        known[page] = result.next_cursor;
        result = await fetchPage(resource, filter, limit, result.next_cursor);
    }
    if (result.next_cursor) known[page + 1] = result.next_cursor;
    // In the API's order: a queue (an open status, a stage, the work orders) earliest
    // deadline first, any other listing newest first.
    return {
        data: result.items,
        pageInfo: { hasNextPage: Boolean(result.next_cursor), hasPreviousPage: page > 1 },
    };
}

async function getOne(resource: string, params: GetOneParams): Promise<GetOneResult> {
    if (resource !== 'cases' && resource !== 'returns' && resource !== 'work-orders') {
        throw new Error(`unknown resource ${resource}`);
    }
    const id = String(params.id);
    const data = await unwrap(api.GET('/v1/cases/{id}', { params: { path: { id } } }));
    return { data: data as CaseView & RaRecord };
}

function unsupported(): Promise<never> {
    return Promise.reject(new Error('not supported by the API'));
}

// The operations the pages call besides lists and records (each through useDataProvider,
// so that a 401 signs out as for any other call).
const operations = {
    readEvidence: (id: string, n: number) =>
        unwrap(
            api.GET('/v1/cases/{id}/evidence/{n}', { params: { path: { id, n: String(n) } } }),
        ),
    returnStep: (id: string, body: Schemas['Command']) =>
        unwrap(api.POST('/v1/cases/{id}/return', { params: { path: { id } }, body })),
    workStep: (id: string, body: Schemas['WorkCommand']) =>
        unwrap(api.POST('/v1/cases/{id}/work', { params: { path: { id } }, body })),
    complaintStep: (id: string, body: Schemas['ComplaintStep']) =>
        unwrap(api.POST('/v1/cases/{id}/complaint', { params: { path: { id } }, body })),
    tagCase: (id: string, body: Schemas['TagCase']) =>
        unwrap(api.PUT('/v1/cases/{id}/tags', { params: { path: { id } }, body })),
    settleWriteBack: (id: string, body: Schemas['WriteBackCommand']) =>
        unwrap(api.POST('/v1/cases/{id}/writeback', { params: { path: { id } }, body })),
    recordCallback: (id: string, body: Schemas['RecordCallback']) =>
        unwrap(api.POST('/v1/cases/{id}/callback', { params: { path: { id } }, body })),
    readOrder: (storefront: string, order_id: string) =>
        unwrap(
            api.GET('/v1/orders/{storefront}/{order_id}', {
                params: { path: { storefront, order_id } },
            }),
        ),
    readPolicy: () => unwrap(api.GET('/v1/policy')),
    replacePolicy: (version: number, body: Schemas['Policy']) =>
        unwrap(
            api.PUT('/v1/policy', {
                params: { header: { 'If-Match': `"${version}"` } },
                body,
            }),
        ),
    daySheet: (date: string) =>
        unwrap(api.GET('/v1/dispatch/day', { params: { query: { date } } })),
    workOrders: (late: boolean) =>
        unwrap(
            api.GET('/v1/work-orders', {
                params: { query: { late: late ? true : undefined, limit: 100 } },
            }),
        ),
    suggestions: (id: string, date: string) =>
        unwrap(
            api.GET('/v1/cases/{id}/suggestions', {
                params: { path: { id }, query: { date } },
            }),
        ),
    /** The printable slip's HTML (it needs the bearer token, so it is fetched). */
    slipHtml: (id: string, lang: 'zh-CN' | 'en') =>
        unwrap(
            api.GET('/v1/cases/{id}/slip/print', {
                params: { path: { id }, query: { lang } },
                parseAs: 'text',
            }),
        ),
    reports: (from: string, to: string) =>
        unwrap(api.GET('/v1/reports', { params: { query: { from, to } } })),
};

export type Operations = typeof operations;
export type AppDataProvider = DataProvider & Operations;

export const dataProvider: AppDataProvider = {
    getList,
    getOne,
    getMany: unsupported,
    getManyReference: unsupported,
    update: unsupported,
    updateMany: unsupported,
    create: unsupported,
    delete: unsupported,
    deleteMany: unsupported,
    ...operations,
};

/**
 * The API's operations for the pages: a failure goes to react-admin's access check first
 * (a 401 signs out, as for lists and records), then to the caller, with no stand-in data.
 */
export function useApi(): Operations {
    const logoutIfAccessDenied = useLogoutIfAccessDenied();
    return useMemo(() => {
        const wrapped: Record<string, unknown> = {};
        for (const [name, op] of Object.entries(operations)) {
            const call = op as (...args: unknown[]) => Promise<unknown>;
            wrapped[name] = (...args: unknown[]) =>
                call(...args).catch(async (error: unknown) => {
                    await logoutIfAccessDenied(error);
                    throw error;
                });
        }
        return wrapped as Operations;
    }, [logoutIfAccessDenied]);
}
