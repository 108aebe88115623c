// The steps a role may take on a case, each a button opening a small form: return steps
// (POST /v1/cases/{id}/return), work steps (POST .../work), complaint steps
// (POST .../complaint), tags (PUT .../tags) and the callback's outcome (POST .../callback).
// The body of each is built to the contract's types; the API decides and a refusal says why.
import { useState, type ReactElement } from 'react';
import {
    Box,
    Button,
    Dialog,
    DialogActions,
    DialogContent,
    DialogTitle,
    Stack,
    Typography,
} from '@mui/material';
import {
    BooleanInput,
    DateTimeInput,
    Form,
    NumberInput,
    SaveButton,
    SelectInput,
    TextInput,
    required,
    useNotify,
    useRefresh,
    useTranslate,
} from 'react-admin';
import { isApiError, type Schemas } from '../api/client';
import { useNotifyProblem } from '../components';
import { useApi, type CaseView, type Stage } from '../dataProvider';
import { choices, toMinor, useFormats } from '../i18n';
import { can, canStep } from '../permissions';
import { useRole } from '../Layout';
import type { Role } from '../auth';

type Values = Record<string, unknown>;
type Choice = { id: string; name: string };

type Field =
    | { name: string; label: string; kind: 'text' | 'multiline' | 'datetime'; required?: boolean }
    | { name: string; label: string; kind: 'number' | 'money'; required?: boolean }
    | { name: string; label: string; kind: 'bool' }
    | {
          name: string;
          label: string;
          kind: 'select';
          choices: Choice[];
          required?: boolean;
          translate?: boolean;
      };

type Ctx = { record: CaseView; currency: string; tags: Schemas['TagVocabulary'] | null; zh: boolean };

type Spec<B> = {
    action: string;
    label: string;
    fields?: (c: Ctx) => Field[];
    defaults?: (c: Ctx) => Values;
    build: (v: Values, c: Ctx) => B;
};

// ------------------------------------------------------------------ values

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : v == null ? '' : String(v));
const optStr = (v: unknown): string | undefined => str(v) || undefined;
const int = (v: unknown): number => {
    const n = typeof v === 'number' ? v : Number(str(v));
    return Number.isFinite(n) ? Math.trunc(n) : 0;
};
const optInt = (v: unknown): number | undefined =>
    v === null || v === undefined || str(v) === '' ? undefined : int(v);
const money = (v: unknown, currency: string): number | undefined =>
    v === null || v === undefined || str(v) === '' ? undefined : toMinor(Number(v), currency);
const bool = (v: unknown): boolean => v === true;
const list = (v: unknown): string[] =>
    str(v)
        .split(/[,，\n]/)
        .map(x => x.trim())
        .filter(x => x.length > 0);
const iso = (v: unknown): string => {
    const d = v instanceof Date ? v : new Date(str(v));
    return d.toISOString();
};

const DECISION_REASONS = [
    'fault_plausible',
    'no_reason_within_window',
    'merchant_error',
    'goodwill',
    'not_eligible',
    'window_closed',
    'not_resaleable',
    'insufficient_evidence',
    'customer_damage',
    'scrap_justified',
    'other',
];

/** A field of one kind, labelled `app.actions.fields.<name>`. */
const plain =
    (kind: 'text' | 'multiline' | 'datetime' | 'number' | 'money') =>
    (name: string, isRequired = false): Field => ({
        name,
        label: `app.actions.fields.${name}`,
        kind,
        required: isRequired,
    });

const F = {
    reason: (): Field => ({
        name: 'reason_code',
        label: 'app.actions.fields.reason_code',
        kind: 'select',
        choices: choices('decision_reason', DECISION_REASONS),
        required: true,
    }),
    note: (isRequired = false): Field => plain('multiline')('note', isRequired),
    text: plain('text'),
    multiline: plain('multiline'),
    datetime: plain('datetime'),
    number: plain('number'),
    money: plain('money'),
    bool: (name: string): Field => ({ name, label: `app.actions.fields.${name}`, kind: 'bool' }),
    select: (name: string, group: string, values: readonly string[], isRequired = true): Field => ({
        name,
        label: `app.actions.fields.${name}`,
        kind: 'select',
        choices: choices(group, values),
        required: isRequired,
    }),
};

// ------------------------------------------------------------------ return steps

const RETURN_STAGES: Record<string, readonly Stage[] | null> = {
    approve: ['awaiting_decision', 'escalated'],
    reject: ['awaiting_decision', 'escalated'],
    resubmit: ['rejected'],
    escalate: ['rejected'],
    ship: ['awaiting_shipment'],
    receive: ['awaiting_shipment', 'in_transit'],
    inspect: ['received'],
    execute_refund: ['refund_pending'],
    reship: ['reship_pending', 'send_back_pending'],
    approve_scrap: null,
    cancel: null,
};
const RETURN_DONE: readonly Stage[] = ['refunded', 'exchanged', 'sent_back', 'lapsed', 'cancelled'];

function returnStepFits(action: string, flow: NonNullable<CaseView['returns']>): boolean {
    if (action === 'approve_scrap') return flow.scrap_sign_off_pending === true;
    if (action === 'cancel') return !RETURN_DONE.includes(flow.stage) && !flow.goods_sent;
    const stages = RETURN_STAGES[action];
    return stages ? stages.includes(flow.stage) : true;
}

// Steps that take the same fields: a decision with its reason, a note alone, a parcel sent.
const decision = (action: 'approve' | 'reject' | 'approve_scrap', noteRequired = false): Spec<Schemas['Command']> => ({
    action,
    label: `app.actions.return.${action}`,
    fields: () => [F.reason(), F.note(noteRequired)],
    build: v => ({ action, reason_code: str(v.reason_code), note: str(v.note) }),
});
const noted = (action: 'resubmit' | 'escalate'): Spec<Schemas['Command']> => ({
    action,
    label: `app.actions.return.${action}`,
    fields: () => [F.note()],
    build: v => ({ action, note: optStr(v.note) }),
});
const parcel = (action: 'ship' | 'reship'): Spec<Schemas['Command']> => ({
    action,
    label: `app.actions.return.${action}`,
    fields: () => [F.text('carrier', true), F.text('tracking_number', true)],
    build: v => ({ action, carrier: str(v.carrier), tracking_number: str(v.tracking_number) }),
});

const RETURN_SPECS: Spec<Schemas['Command']>[] = [
    decision('approve'),
    decision('reject', true),
    decision('approve_scrap'),
    noted('resubmit'),
    noted('escalate'),
    parcel('ship'),
    {
        action: 'receive',
        label: 'app.actions.return.receive',
        fields: () => [
            F.number('units_received', true),
            F.text('slip_item_number'),
            F.text('slip_item_name'),
            F.number('slip_quantity'),
            F.text('slip_defect'),
            F.text('deduction_reason'),
            F.money('deduction_amount'),
        ],
        defaults: c => ({
            units_received: c.record.returns?.terms.units ?? 1,
            slip_quantity: c.record.returns?.terms.units ?? 1,
            slip_item_name: c.record.product?.model ?? '',
            slip_item_number: c.record.product?.sku ?? '',
        }),
        build: (v, c) => {
            const slipGiven = str(v.slip_item_number) !== '' || str(v.slip_item_name) !== '';
            const deduction = money(v.deduction_amount, c.currency);
            return {
                action: 'receive',
                units_received: int(v.units_received),
                slip: slipGiven
                    ? {
                          item_number: str(v.slip_item_number),
                          item_name: str(v.slip_item_name),
                          quantity: optInt(v.slip_quantity) ?? int(v.units_received),
                          defect: str(v.slip_defect),
                      }
                    : undefined,
                missing_accessories:
                    str(v.deduction_reason) !== ''
                        ? [{ reason: str(v.deduction_reason), amount_minor: deduction ?? 0 }]
                        : [],
            };
        },
    },
    {
        action: 'inspect',
        label: 'app.actions.return.inspect',
        fields: () => [
            F.bool('fault_confirmed'),
            F.bool('resaleable'),
            F.select('responsibility', 'responsibility', ['merchant', 'carrier', 'customer']),
            F.select('disposition', 'disposition', [
                'restock',
                'rework',
                'repair_and_return',
                'return_to_supplier',
                'scrap',
            ]),
            F.number('disposition_units', true),
            F.money('return_shipping'),
            F.money('scrap_value'),
            F.text('damage_reason'),
            F.money('damage_amount'),
        ],
        defaults: c => ({
            fault_confirmed: false,
            resaleable: true,
            disposition_units:
                c.record.returns?.receipt?.units_received ?? c.record.returns?.terms.units ?? 1,
        }),
        build: (v, c) => {
            const disposition = str(v.disposition) as Schemas['Disposition'];
            const units = Math.max(int(v.disposition_units), 0);
            const damage = money(v.damage_amount, c.currency);
            return {
                action: 'inspect',
                fault_confirmed: bool(v.fault_confirmed),
                resaleable: bool(v.resaleable),
                responsibility: str(v.responsibility) as Schemas['Responsibility'],
                dispositions: Array.from({ length: units }, () => disposition),
                return_shipping_minor: money(v.return_shipping, c.currency),
                scrap_value_minor: money(v.scrap_value, c.currency),
                damage:
                    str(v.damage_reason) !== ''
                        ? [{ reason: str(v.damage_reason), amount_minor: damage ?? 0 }]
                        : [],
            };
        },
    },
    {
        action: 'execute_refund',
        label: 'app.actions.return.execute_refund',
        build: () => ({ action: 'execute_refund' }),
    },
    parcel('reship'),
    {
        action: 'cancel',
        label: 'app.actions.return.cancel',
        fields: () => [F.text('reason')],
        build: v => ({ action: 'cancel', reason: optStr(v.reason) ?? null }),
    },
];

// ------------------------------------------------------------------ work steps

type Work = NonNullable<CaseView['work']>;

function workStepFits(action: string, c: CaseView): boolean {
    const w: Work | null | undefined = c.work;
    if (action === 'open') {
        return !w && ['repair', 'installation', 'technical_support'].includes(c.type);
    }
    if (!w) return false;
    const started = Boolean(w.started_at);
    const finished = Boolean(w.finished_at);
    switch (action) {
        case 'book':
            return !started && !finished;
        case 'cancel_booking':
            return Boolean(w.booking) && !started;
        case 'start':
            return Boolean(w.booking) && !started;
        case 'answer_change':
            return (w.changes ?? []).some(ch => ch.accepted === null || ch.accepted === undefined);
        case 'inspect':
            return finished && !w.inspection;
        default:
            return started && !finished;
    }
}

const WORK_SPECS: Spec<Schemas['WorkCommand']>[] = [
    {
        action: 'open',
        label: 'app.actions.work.open',
        fields: () => [
            F.select('kind', 'work_kind', ['on_site', 'workshop']),
            F.text('skill', true),
            F.text('district', true),
            F.select('area', 'area', ['city', 'suburbs', 'remote']),
            F.text('service', true),
            F.number('expected_minutes', true),
            F.money('balance_due'),
            F.money('cash_advance'),
            F.text('parts_to_bring'),
            F.text('tools'),
        ],
        defaults: c => ({
            kind: 'on_site',
            area: 'city',
            expected_minutes: 60,
            skill: c.record.purchase?.category ?? '',
        }),
        build: (v, c) => ({
            action: 'open',
            kind: str(v.kind) as Schemas['WorkKind'],
            skill: str(v.skill),
            district: str(v.district),
            area: str(v.area) as Schemas['Area'],
            service: str(v.service),
            expected_minutes: int(v.expected_minutes),
            balance_due_minor: money(v.balance_due, c.currency),
            cash_advance_minor: money(v.cash_advance, c.currency),
            currency: c.currency,
            parts_to_bring: list(v.parts_to_bring),
            tools: list(v.tools),
        }),
    },
    {
        action: 'book',
        label: 'app.actions.work.book',
        fields: () => [F.datetime('start', true), F.text('technician')],
        build: v => ({ action: 'book', start: iso(v.start), technician: optStr(v.technician) ?? null }),
    },
    {
        action: 'cancel_booking',
        label: 'app.actions.work.cancel_booking',
        fields: () => [F.note()],
        build: v => ({ action: 'cancel_booking', note: optStr(v.note) ?? null }),
    },
    { action: 'start', label: 'app.actions.work.start', build: () => ({ action: 'start' }) },
    {
        action: 'set_status',
        label: 'app.actions.work.set_status',
        fields: () => [
            F.select('status', 'board', [
                'in_repair',
                'waiting_for_parts',
                'machining',
                'waiting_for_customer',
                'stopped',
                'finished',
            ]),
            F.note(),
        ],
        build: v => ({
            action: 'set_status',
            status: str(v.status) as Schemas['BoardStatus'],
            note: optStr(v.note) ?? null,
        }),
    },
    {
        action: 'propose_change',
        label: 'app.actions.work.propose_change',
        fields: () => [F.multiline('description', true), F.money('extra')],
        build: (v, c) => ({
            action: 'propose_change',
            description: str(v.description),
            extra_minor: money(v.extra, c.currency),
        }),
    },
    {
        action: 'answer_change',
        label: 'app.actions.work.answer_change',
        fields: () => [F.bool('accept')],
        defaults: () => ({ accept: true }),
        build: v => ({ action: 'answer_change', accept: bool(v.accept) }),
    },
    {
        action: 'use_part',
        label: 'app.actions.work.use_part',
        fields: () => [F.text('part', true), F.number('quantity', true), F.money('unit_price')],
        defaults: () => ({ quantity: 1 }),
        build: (v, c) => ({
            action: 'use_part',
            part: str(v.part),
            quantity: int(v.quantity),
            unit_price_minor: money(v.unit_price, c.currency),
        }),
    },
    {
        action: 'finish',
        label: 'app.actions.work.finish',
        fields: () => [
            F.select('result', 'work_result', ['done', 'depot_repair', 'replacement']),
            F.text('fault', true),
            F.text('code'),
        ],
        defaults: () => ({ result: 'done' }),
        build: v => ({
            action: 'finish',
            result: str(v.result) as Schemas['WorkResult'],
            fault: str(v.fault),
            code: optStr(v.code) ?? null,
        }),
    },
    {
        action: 'inspect',
        label: 'app.actions.work.inspect',
        fields: () => [F.bool('passed'), F.note()],
        defaults: () => ({ passed: true }),
        build: v => ({ action: 'inspect', passed: bool(v.passed), note: optStr(v.note) ?? null }),
    },
];

// ------------------------------------------------------------------ complaint, tags, callback

const COMPLAINT_SPECS: Spec<Schemas['ComplaintStep']>[] = [
    {
        action: 'answer',
        label: 'app.actions.complaint.answer',
        fields: () => [F.note(true)],
        build: v => ({ action: 'answer', note: str(v.note) }),
    },
    {
        action: 'resolve',
        label: 'app.actions.complaint.resolve',
        fields: () => [F.multiline('resolution', true), F.text('against')],
        defaults: c => ({ against: c.record.complaint?.about_technician ?? '' }),
        build: v => ({
            action: 'resolve',
            resolution: str(v.resolution),
            against: optStr(v.against) ?? null,
        }),
    },
];

function vocabulary(terms: Schemas['Term'][] | undefined, zh: boolean): Choice[] {
    return (terms ?? []).map(t => ({ id: t.code, name: zh ? t.zh : t.en }));
}

const TAG_SPEC: Spec<Schemas['TagCase']> = {
    action: 'set',
    label: 'app.actions.tags.set',
    fields: c => [
        {
            name: 'reason',
            label: 'app.actions.fields.tag_reason',
            kind: 'select',
            choices: vocabulary(c.tags?.reasons, c.zh),
            required: true,
            translate: false,
        },
        {
            name: 'defect',
            label: 'app.actions.fields.tag_defect',
            kind: 'select',
            choices: vocabulary(c.tags?.defects, c.zh),
            translate: false,
        },
        {
            name: 'responsibility',
            label: 'app.actions.fields.tag_responsibility',
            kind: 'select',
            choices: vocabulary(c.tags?.responsibilities, c.zh),
            required: true,
            translate: false,
        },
    ],
    defaults: c => ({
        reason: c.record.tags?.reason,
        defect: c.record.tags?.defect ?? undefined,
        responsibility: c.record.tags?.responsibility,
    }),
    build: v => ({
        reason: str(v.reason),
        defect: optStr(v.defect) ?? null,
        responsibility: str(v.responsibility),
    }),
};

const CALLBACK_SPEC: Spec<Schemas['RecordCallback']> = {
    action: 'record',
    label: 'app.actions.callback.record',
    fields: () => [
        F.select('outcome', 'callback_outcome', ['reached', 'no_answer', 'refused', 'wrong_number']),
        F.select(
            'level',
            'satisfaction',
            ['very_satisfied', 'satisfied', 'average', 'dissatisfied'],
            false,
        ),
        F.note(),
    ],
    defaults: () => ({ outcome: 'reached' }),
    build: v => ({
        outcome: str(v.outcome) as Schemas['CallbackOutcome'],
        level: (optStr(v.level) as Schemas['Satisfaction'] | undefined) ?? null,
        note: optStr(v.note) ?? null,
    }),
};

// ------------------------------------------------------------------ write-back

// A decision the storefront refused: asked again, or recorded as done in the shop's admin.
const WRITEBACK_SPECS: Spec<Schemas['WriteBackCommand']>[] = [
    { action: 'retry', label: 'app.actions.writeback.retry', build: () => ({ action: 'retry' }) },
    {
        action: 'settle',
        label: 'app.actions.writeback.settle',
        fields: () => [F.note(true)],
        build: v => ({ action: 'settle', note: str(v.note) }),
    },
];

// ------------------------------------------------------------------ the form

function FieldInput({ field }: { field: Field }) {
    const validate = 'required' in field && field.required ? required() : undefined;
    switch (field.kind) {
        case 'text':
            return <TextInput source={field.name} label={field.label} validate={validate} fullWidth />;
        case 'multiline':
            return (
                <TextInput
                    source={field.name}
                    label={field.label}
                    validate={validate}
                    multiline
                    minRows={2}
                    fullWidth
                />
            );
        case 'datetime':
            return <DateTimeInput source={field.name} label={field.label} validate={validate} />;
        case 'number':
            return <NumberInput source={field.name} label={field.label} validate={validate} min={0} step={1} />;
        case 'money':
            return <NumberInput source={field.name} label={field.label} validate={validate} min={0} step={0.01} />;
        case 'bool':
            return <BooleanInput source={field.name} label={field.label} />;
        case 'select':
            return (
                <SelectInput
                    source={field.name}
                    label={field.label}
                    choices={field.choices}
                    validate={validate}
                    translateChoice={field.translate !== false}
                    fullWidth
                />
            );
    }
}

function StepDialog<B>({
    spec,
    ctx,
    group,
    send,
}: {
    spec: Spec<B>;
    ctx: Ctx;
    group: string;
    send: (body: B) => Promise<unknown>;
}) {
    const translate = useTranslate();
    const notify = useNotify();
    const notifyProblem = useNotifyProblem();
    const refresh = useRefresh();
    const [open, setOpen] = useState(false);
    const fields = spec.fields?.(ctx) ?? [];
    const testId = `action-${group}-${spec.action.replace(/_/g, '-')}`;

    const onSubmit = async (values: Values) => {
        try {
            await send(spec.build(values, ctx));
            notify('app.actions.done', { type: 'success' });
            setOpen(false);
            refresh();
            return undefined;
        } catch (e) {
            notifyProblem(e);
            // A malformed field (400): shown at the field it names.
            if (isApiError(e) && e.problem['invalid-params']?.length) {
                const names = new Set(fields.map(f => f.name));
                const errors: Record<string, string> = {};
                for (const p of e.problem['invalid-params']) {
                    const name = p.name.replace(/^\/|^body\./, '').replace(/\//g, '.');
                    if (names.has(name)) errors[name] = p.reason;
                }
                return Object.keys(errors).length > 0 ? errors : undefined;
            }
            return undefined;
        }
    };

    return (
        <>
            <Button variant="outlined" size="small" onClick={() => setOpen(true)} data-testid={testId}>
                {translate(spec.label)}
            </Button>
            <Dialog
                open={open}
                onClose={() => setOpen(false)}
                fullWidth
                maxWidth="sm"
                aria-labelledby={`${testId}-title`}
            >
                <Form defaultValues={spec.defaults?.(ctx) ?? {}} onSubmit={onSubmit}>
                    <DialogTitle id={`${testId}-title`}>{translate(spec.label)}</DialogTitle>
                    <DialogContent data-testid={`${testId}-form`}>
                        <Stack>
                            {fields.map(f => (
                                <Box key={f.name} data-testid={`field-${f.name}`}>
                                    <FieldInput field={f} />
                                </Box>
                            ))}
                        </Stack>
                    </DialogContent>
                    <DialogActions>
                        <Button onClick={() => setOpen(false)} data-testid="action-cancel">
                            {translate('app.common.cancel')}
                        </Button>
                        <SaveButton
                            label="app.common.submit"
                            alwaysEnable
                            data-testid="action-submit"
                        />
                    </DialogActions>
                </Form>
            </Dialog>
        </>
    );
}

function Group({ group, children }: { group: string; children: ReactElement[] }) {
    const translate = useTranslate();
    if (children.length === 0) return null;
    return (
        <Box sx={{ mb: 2 }} data-testid={`actions-${group}`}>
            <Typography variant="subtitle2" component="h3" sx={{ mb: 1 }}>
                {translate(`app.actions.${group}.title`)}
            </Typography>
            <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1 }}>{children}</Box>
        </Box>
    );
}

export function CaseActions({
    record,
    tags,
}: {
    record: CaseView;
    tags: Schemas['TagVocabulary'] | null;
}) {
    const translate = useTranslate();
    const api = useApi();
    const role: Role | undefined = useRole();
    const f = useFormats();
    const id = record.id;
    const currency = record.returns?.terms.currency ?? record.work?.currency ?? 'CNY';
    const ctx: Ctx = { record, currency, tags, zh: f.locale === 'zh-CN' };
    // A group's name keys its title (app.actions.<name>.title) and its own and its buttons' test ids.
    const group = <B,>(
        name: string,
        specs: Spec<B>[],
        send: (body: B) => Promise<unknown>,
    ): [string, ReactElement[]] => [
        name,
        specs.map(s => <StepDialog key={s.action} spec={s} ctx={ctx} group={name} send={send} />),
    ];

    const flow = record.returns;
    const isComplaint = record.type === 'complaint' || Boolean(record.complaint);
    const settled = record.status === 'resolved' || record.status === 'closed';
    const groups = [
        group(
            'return',
            flow
                ? RETURN_SPECS.filter(s => canStep(role, 'returnStep', s.action) && returnStepFits(s.action, flow))
                : [],
            b => api.returnStep(id, b),
        ),
        group(
            'work',
            WORK_SPECS.filter(s => canStep(role, 'workStep', s.action) && workStepFits(s.action, record)),
            b => api.workStep(id, b),
        ),
        group(
            'complaint',
            isComplaint && !record.complaint?.resolved_at
                ? COMPLAINT_SPECS.filter(s => canStep(role, 'handleComplaint', s.action))
                : [],
            b => api.complaintStep(id, b),
        ),
        group(
            'writeback',
            can(role, 'settleWriteBack') && (record.writebacks ?? []).some(w => w.state === 'failed')
                ? WRITEBACK_SPECS
                : [],
            b => api.settleWriteBack(id, b),
        ),
        group('tags', settled && can(role, 'tagCase') && tags ? [TAG_SPEC] : [], b => api.tagCase(id, b)),
        group('callback', record.callback && can(role, 'recordCallback') ? [CALLBACK_SPEC] : [], b =>
            api.recordCallback(id, b),
        ),
    ];

    return (
        <Box data-testid="case-actions">
            {groups.every(([, buttons]) => buttons.length === 0) && (
                <Typography color="text.secondary">{translate('app.case.no_actions')}</Typography>
            )}
            {groups.map(([group, buttons]) => (
                <Group key={group} group={group}>
                    {buttons}
                </Group>
            ))}
        </Box>
    );
}
