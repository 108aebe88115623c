// The merchant's policy (GET /v1/policy → {policy, version}): read by staff; an admin edits
// its key numbers and saves the whole policy (PUT /v1/policy, If-Match: "<version>"). A
// refused field (400, invalid-params) is shown at that field; a stale version (409, or 412)
// asks to reload.
import { useState } from 'react';
import { Alert, Box, Button, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Form, NumberInput, SaveButton, Title, required, useNotify, useTranslate } from 'react-admin';
import { isApiError, type InvalidParam, type Schemas } from '../api/client';
import { ErrorNote, Facts, Section, useNotifyProblem } from '../components';
import { useApi } from '../dataProvider';
import { useFormats } from '../i18n';
import { useRole } from '../Layout';
import { can } from '../permissions';

type Policy = Schemas['Policy'];

type PolicyField = {
    /** The form's path (dots), and the API's field name with slashes. */
    name: string;
    label: string;
    section: 'general' | 'returns' | 'feedback' | 'dispatch';
    get: (p: Policy) => number | undefined;
    set: (p: Policy, v: number) => void;
};

const FIELDS: PolicyField[] = [
    {
        name: 'first_response_hours',
        label: 'app.policy.fields.first_response_hours',
        section: 'general',
        get: p => p.first_response_hours,
        set: (p, v) => {
            p.first_response_hours = v;
        },
    },
    {
        name: 'no_reason_return_days',
        label: 'app.policy.fields.no_reason_return_days',
        section: 'general',
        get: p => p.no_reason_return_days,
        set: (p, v) => {
            p.no_reason_return_days = v;
        },
    },
    {
        name: 'returns.decision_hours',
        label: 'app.policy.fields.returns_decision_hours',
        section: 'returns',
        get: p => p.returns?.decision_hours,
        set: (p, v) => {
            p.returns = { ...p.returns, decision_hours: v };
        },
    },
    {
        name: 'returns.resubmit_days',
        label: 'app.policy.fields.returns_resubmit_days',
        section: 'returns',
        get: p => p.returns?.resubmit_days,
        set: (p, v) => {
            p.returns = { ...p.returns, resubmit_days: v };
        },
    },
    {
        name: 'returns.shipment_follow_up_days',
        label: 'app.policy.fields.returns_shipment_follow_up_days',
        section: 'returns',
        get: p => p.returns?.shipment_follow_up_days,
        set: (p, v) => {
            p.returns = { ...p.returns, shipment_follow_up_days: v };
        },
    },
    {
        name: 'returns.fee_percent',
        label: 'app.policy.fields.returns_fee_percent',
        section: 'returns',
        get: p => p.returns?.fee_percent,
        set: (p, v) => {
            p.returns = { ...p.returns, fee_percent: v };
        },
    },
    {
        name: 'feedback.survey_days',
        label: 'app.policy.fields.feedback_survey_days',
        section: 'feedback',
        get: p => p.feedback?.survey_days,
        set: (p, v) => {
            p.feedback = { ...p.feedback, survey_days: v };
        },
    },
    {
        name: 'feedback.complaint_answer_hours',
        label: 'app.policy.fields.feedback_complaint_answer_hours',
        section: 'feedback',
        get: p => p.feedback?.complaint_answer_hours,
        set: (p, v) => {
            p.feedback = { ...p.feedback, complaint_answer_hours: v };
        },
    },
    {
        name: 'feedback.callbacks.after_service_days',
        label: 'app.policy.fields.feedback_after_service_days',
        section: 'feedback',
        get: p => p.feedback?.callbacks?.after_service_days,
        set: (p, v) => {
            p.feedback = { ...p.feedback, callbacks: { ...p.feedback?.callbacks, after_service_days: v } };
        },
    },
    {
        name: 'dispatch.on_site_hours',
        label: 'app.policy.fields.dispatch_on_site_hours',
        section: 'dispatch',
        get: p => p.dispatch?.on_site_hours,
        set: (p, v) => {
            p.dispatch = { ...p.dispatch, on_site_hours: v };
        },
    },
    {
        name: 'dispatch.repeat_window_days',
        label: 'app.policy.fields.dispatch_repeat_window_days',
        section: 'dispatch',
        get: p => p.dispatch?.repeat_window_days,
        set: (p, v) => {
            p.dispatch = { ...p.dispatch, repeat_window_days: v };
        },
    },
];

const SECTIONS = ['general', 'returns', 'feedback', 'dispatch'] as const;

function readPath(values: Record<string, unknown>, path: string): unknown {
    let node: unknown = values;
    for (const part of path.split('.')) {
        if (typeof node !== 'object' || node === null) return undefined;
        node = (node as Record<string, unknown>)[part];
    }
    return node;
}

function withPath(target: Record<string, unknown>, path: string, value: unknown): void {
    const parts = path.split('.');
    let node = target;
    for (const part of parts.slice(0, -1)) {
        const next = node[part];
        if (typeof next !== 'object' || next === null) node[part] = {};
        node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
}

/** The API names a field with slashes (`returns/decision_hours`); the form with dots. */
function fieldOf(param: InvalidParam): string {
    return param.name.replace(/^\/+/, '').replace(/\//g, '.');
}

function Vocabulary({ tags }: { tags: Schemas['TagVocabulary'] | undefined }) {
    const translate = useTranslate();
    const f = useFormats();
    if (!tags) return null;
    const groups: [string, Schemas['Term'][] | undefined][] = [
        ['app.actions.fields.tag_reason', tags.reasons],
        ['app.actions.fields.tag_defect', tags.defects],
        ['app.actions.fields.tag_responsibility', tags.responsibilities],
    ];
    return (
        <Table size="small" data-testid="policy-tags">
            <TableHead>
                <TableRow>
                    <TableCell>{translate('app.actions.tags.title')}</TableCell>
                    <TableCell />
                </TableRow>
            </TableHead>
            <TableBody>
                {groups.map(([label, terms]) => (
                    <TableRow key={label}>
                        <TableCell>{translate(label)}</TableCell>
                        <TableCell>
                            {(terms ?? []).map(t => (f.locale === 'zh-CN' ? t.zh : t.en)).join(' · ')}
                        </TableCell>
                    </TableRow>
                ))}
            </TableBody>
        </Table>
    );
}

function Editor({ view, onStale }: { view: Schemas['PolicyView']; onStale: () => void }) {
    const translate = useTranslate();
    const api = useApi();
    const notify = useNotify();
    const notifyProblem = useNotifyProblem();
    const queryClient = useQueryClient();
    const [others, setOthers] = useState<InvalidParam[]>([]);
    // A range the API names is worded here, in the user's language; any other reason is the
    // API's (English) sentence.
    const reasonOf = (p: InvalidParam) =>
        p.minimum != null && p.maximum != null
            ? translate('app.policy.out_of_range', { min: p.minimum, max: p.maximum })
            : p.reason;

    const defaults: Record<string, unknown> = {};
    for (const field of FIELDS) withPath(defaults, field.name, field.get(view.policy) ?? null);

    const onSubmit = async (values: Record<string, unknown>) => {
        setOthers([]);
        const body: Policy = structuredClone(view.policy);
        for (const field of FIELDS) {
            const v = readPath(values, field.name);
            if (typeof v === 'number' && Number.isFinite(v)) field.set(body, Math.trunc(v));
        }
        try {
            const saved = await api.replacePolicy(view.version, body);
            queryClient.setQueryData(['policy'], saved);
            notify(translate('app.policy.saved', { version: saved.version }), { type: 'success' });
            return undefined;
        } catch (e) {
            if (isApiError(e) && (e.status === 409 || e.status === 412)) {
                onStale();
                return undefined;
            }
            if (isApiError(e) && e.status === 400 && e.problem['invalid-params']?.length) {
                const names = new Set(FIELDS.map(f => f.name));
                const errors: Record<string, string> = {};
                const rest: InvalidParam[] = [];
                for (const p of e.problem['invalid-params']) {
                    const name = fieldOf(p);
                    if (names.has(name)) errors[name] = reasonOf(p);
                    else rest.push(p);
                }
                setOthers(rest);
                notify('app.policy.invalid', { type: 'error' });
                return Object.keys(errors).length > 0 ? errors : undefined;
            }
            notifyProblem(e);
            return undefined;
        }
    };

    return (
        <Form defaultValues={defaults} onSubmit={onSubmit} key={view.version}>
            <Box data-testid="policy-form">
                {SECTIONS.map(section => (
                    <Box key={section} sx={{ mb: 2 }}>
                        <Typography variant="subtitle1" component="h3">
                            {translate(`app.policy.sections.${section}`)}
                        </Typography>
                        <Box sx={{ display: 'flex', flexWrap: 'wrap', columnGap: 2 }}>
                            {FIELDS.filter(f => f.section === section).map(f => (
                                <NumberInput
                                    key={f.name}
                                    source={f.name}
                                    label={f.label}
                                    min={0}
                                    step={1}
                                    validate={required()}
                                    data-testid={`policy-${f.name}`}
                                    sx={{ width: 260 }}
                                />
                            ))}
                        </Box>
                    </Box>
                ))}
                {others.length > 0 && (
                    <Alert severity="error" data-testid="policy-other-errors" sx={{ mb: 2 }}>
                        <Typography variant="subtitle2">{translate('app.policy.other_errors')}</Typography>
                        <Box component="ul" sx={{ m: 0 }}>
                            {others.map((p, i) => (
                                <li key={i}>
                                    <code>{p.name}</code>: {reasonOf(p)}
                                </li>
                            ))}
                        </Box>
                    </Alert>
                )}
                <SaveButton label="app.policy.save" data-testid="policy-save" />
            </Box>
        </Form>
    );
}

export default function PolicyPage() {
    const translate = useTranslate();
    const api = useApi();
    const role = useRole();
    const f = useFormats();
    const [stale, setStale] = useState(false);
    const policy = useQuery({ queryKey: ['policy'], queryFn: () => api.readPolicy() });
    const reload = () => {
        setStale(false);
        void policy.refetch();
    };
    const view = policy.data;
    return (
        <Box sx={{ mt: 1 }} data-testid="policy">
            <Title title="app.policy.title" />
            {policy.isPending && <Typography>{translate('app.common.loading')}</Typography>}
            {policy.isError && <ErrorNote error={policy.error} />}
            {view && (
                <Section
                    title={translate('app.policy.title')}
                    testId="policy-section"
                    actions={
                        <Typography variant="body2" color="text.secondary" data-testid="policy-version" data-value={view.version}>
                            {view.version === 0
                                ? translate('app.policy.defaults')
                                : translate('app.policy.version', { version: view.version })}
                        </Typography>
                    }
                >
                    {stale && (
                        <Alert
                            severity="warning"
                            data-testid="policy-stale"
                            sx={{ mb: 2 }}
                            action={
                                <Button color="inherit" onClick={reload} data-testid="policy-reload">
                                    {translate('app.policy.reload')}
                                </Button>
                            }
                        >
                            {translate('app.policy.stale')}
                        </Alert>
                    )}
                    {can(role, 'replacePolicy') ? (
                        <Editor view={view} onStale={() => setStale(true)} />
                    ) : (
                        <>
                            <Typography color="text.secondary" sx={{ mb: 1 }}>
                                {translate('app.policy.read_only')}
                            </Typography>
                            <Facts
                                rows={FIELDS.map(field => [translate(field.label), f.number(field.get(view.policy))])}
                            />
                        </>
                    )}
                    <Box sx={{ mt: 2 }}>
                        <Vocabulary tags={view.policy.feedback?.tags} />
                    </Box>
                </Section>
            )}
        </Box>
    );
}
