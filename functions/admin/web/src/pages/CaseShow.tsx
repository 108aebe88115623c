// One case (GET /v1/cases/{id}): its details, entitlement with its reasons, evidence, the
// order it came from, its return / work order / complaint / callbacks, the timeline, and the
// steps the signed-in role may take. Every string from the API is rendered as text (React's
// escaping): nothing is ever inserted as HTML.
import {
    Box,
    Button,
    Chip,
    Grid,
    Table,
    TableBody,
    TableCell,
    TableHead,
    TableRow,
    Typography,
} from '@mui/material';
import PrintIcon from '@mui/icons-material/Print';
import { useQuery } from '@tanstack/react-query';
import { Show, useRecordContext, useTranslate, type RaRecord } from 'react-admin';
import type { Schemas } from '../api/client';
import { D, ErrorNote, Facts, Section, TimeLeft, useNotifyProblem } from '../components';
import { useApi, type CaseView } from '../dataProvider';
import { useFormats, type Formats } from '../i18n';
import { useRole } from '../Layout';
import { can } from '../permissions';
import { CaseActions } from './CaseActions';
import { safeUrl, usePrintSlip } from './slip';

type Event = Schemas['Event'];
type Vocabulary = Schemas['TagVocabulary'];

function CaseTitle() {
    const translate = useTranslate();
    const record = useRecordContext<CaseView & RaRecord>();
    return <span>{record ? translate('app.case.title', { id: record.id }) : ''}</span>;
}

function Text({ children }: { children: string | null | undefined }) {
    return <D>{children ?? ''}</D>;
}

/** An API value, or the catalogue's "none". */
function Val({ v }: { v: string | null | undefined }) {
    const t = useTranslate();
    return v ? <D>{v}</D> : <>{t('app.common.none')}</>;
}

// ------------------------------------------------------------------ details

function Details({ c }: { c: CaseView }) {
    const t = useTranslate();
    const f = useFormats();
    const rows: [string, React.ReactNode][] = [
        [
            t('app.case.number'),
            <Box component="span" sx={{ fontFamily: 'monospace' }} data-testid="case-number">
                {c.id}
            </Box>,
        ],
        [t('app.case.type'), f.label('type', c.type)],
        [t('app.case.status'), f.label('status', c.status)],
        [t('app.case.priority'), f.label('priority', c.priority)],
        [t('app.case.channel'), f.label('channel', c.channel)],
        [t('app.case.created_at'), f.dateTime(c.created_at)],
        [t('app.case.updated_at'), f.dateTime(c.updated_at)],
        [t('app.case.first_response_due'), <TimeLeft due={c.first_response_due} showDate />],
        [
            t('app.case.filed_by'),
            <span>
                <D>{c.filed_by.name ?? c.filed_by.id}</D> · {f.label('role', c.filed_by.role)}
            </span>,
        ],
    ];
    if (c.assignee) rows.push([t('app.case.assignee'), <D>{c.assignee}</D>]);
    if (c.order_issue) rows.push([t('app.case.order_issue'), f.label('order_issue', c.order_issue)]);
    if (c.logistics_issue) {
        rows.push([t('app.case.logistics_issue'), f.label('logistics_issue', c.logistics_issue)]);
    }
    if (c.tracking_number) rows.push([t('app.case.tracking_number'), <D>{c.tracking_number}</D>]);
    rows.push([t('app.case.description'), <Text>{c.description}</Text>]);
    return <Facts rows={rows} />;
}

function Customer({ c }: { c: CaseView }) {
    const t = useTranslate();
    const f = useFormats();
    const contact = c.contact;
    const rows: [string, React.ReactNode][] = [
        [t('app.case.customer_id'), <Val v={c.customer_id} />],
        [t('app.case.customer_email'), <Val v={c.customer_email} />],
        [t('app.case.contact_name'), <Val v={contact?.name} />],
        [t('app.case.phone'), <Val v={contact?.phone} />],
        [t('app.case.address'), <Val v={contact?.address} />],
        [t('app.case.attribute'), f.label('customer_attribute', contact?.attribute)],
        [t('app.case.model'), <Val v={c.product?.model} />],
        [t('app.case.serial_number'), <Val v={c.product?.serial_number} />],
        [t('app.case.sku'), <Val v={c.product?.sku} />],
        [t('app.case.batch'), <Val v={c.product?.batch} />],
    ];
    if (c.purchase) {
        rows.push(
            [t('app.case.category'), <Val v={c.purchase.category} />],
            [t('app.case.invoice_date'), f.date(c.purchase.invoice_date)],
            [t('app.case.receipt_date'), f.date(c.purchase.receipt_date)],
            [t('app.case.factory_date'), f.date(c.purchase.factory_date)],
            [t('app.case.acceptance_date'), f.date(c.purchase.acceptance_date)],
        );
    }
    return <Facts rows={rows} />;
}

function Entitlement({ e }: { e: Schemas['Entitlement'] }) {
    const t = useTranslate();
    const f = useFormats();
    const nrr = e.no_reason_return;
    return (
        <Box data-testid="entitlement">
            <Facts
                rows={[
                    [t('app.case.as_of'), f.date(e.as_of)],
                    [t('app.case.category'), <Val v={e.category} />],
                    [t('app.case.base_date'), `${f.date(e.base_date)} · ${f.label('base_date_kind', e.base_date_kind)}`],
                    [t('app.case.days_since_base'), f.number(e.days_since_base)],
                    [
                        t('app.case.remedy'),
                        <strong>
                            {f.label('remedy', e.remedy)}
                            {e.remedy_until ? ` · ${t('app.case.remedy_until')} ${f.date(e.remedy_until)}` : ''}
                        </strong>,
                    ],
                    [
                        t('app.case.ladder'),
                        e.ladder.length === 0
                            ? t('app.common.none')
                            : e.ladder.map(w => `${f.label('remedy', w.remedy)} (${f.date(w.until)})`).join(' → '),
                    ],
                    [
                        t('app.case.no_reason_return'),
                        `${nrr.eligible ? t('app.case.eligible') : t('app.case.not_eligible')}${
                            nrr.until ? ` · ${t('app.case.remedy_until')} ${f.date(nrr.until)}` : ''
                        }`,
                    ],
                    [t('app.case.special_goods'), e.special_goods ? t('app.common.yes') : t('app.common.no')],
                    [t('app.case.extension_days'), f.number(e.extension_days ?? 0)],
                    [
                        t('app.case.exclusions'),
                        (e.exclusions ?? []).length === 0
                            ? t('app.common.none')
                            : (e.exclusions ?? []).map(x => f.label('exclusion', x)).join(', '),
                    ],
                ]}
            />
            {((e.why ?? []).length > 0 || nrr.why) && (
                <Box sx={{ mt: 1 }}>
                    <Typography variant="subtitle2">{t('app.case.why')}</Typography>
                    <Box component="ul" sx={{ mt: 0.5 }} data-testid="entitlement-why">
                        {(e.why ?? []).map((w, i) => (
                            <li key={i}>
                                <Text>{w}</Text>
                            </li>
                        ))}
                        {nrr.why && (
                            <li>
                                <Text>{nrr.why}</Text>
                            </li>
                        )}
                    </Box>
                </Box>
            )}
        </Box>
    );
}

// ------------------------------------------------------------------ evidence

function isPicture(e: Schemas['Evidence']): boolean {
    if (e.content_type) return e.content_type.startsWith('image/');
    return e.type === 'photo' || e.type === 'goods_photo' || e.type === 'waybill' || e.type === 'invoice';
}

function EvidenceItem({ caseId, n, evidence }: { caseId: string; n: number; evidence: Schemas['Evidence'] }) {
    const t = useTranslate();
    const f = useFormats();
    const api = useApi();
    const notifyProblem = useNotifyProblem();
    const picture = isPicture(evidence);
    const link = useQuery({
        queryKey: ['evidence', caseId, n],
        queryFn: () => api.readEvidence(caseId, n),
        enabled: picture,
        // A presigned address lasts 5 minutes.
        staleTime: 4 * 60_000,
        retry: false,
    });
    const open = async () => {
        const w = window.open('', '_blank');
        try {
            const answer = link.data ?? (await api.readEvidence(caseId, n));
            const url = safeUrl(answer.url);
            if (w && url) {
                w.opener = null;
                w.location.href = url;
            } else w?.close();
        } catch (e) {
            w?.close();
            notifyProblem(e);
        }
    };
    const src = link.data ? safeUrl(link.data.url) : null;
    return (
        <Box
            component="figure"
            data-testid={`evidence-${n}`}
            sx={{ m: 0, width: 220, border: 1, borderColor: 'divider', borderRadius: 1, p: 1 }}
        >
            {picture && src && (
                <Box
                    component="img"
                    src={src}
                    alt={evidence.note ?? f.label('evidence_kind', evidence.type)}
                    referrerPolicy="no-referrer"
                    loading="lazy"
                    sx={{ width: '100%', height: 150, objectFit: 'contain', bgcolor: 'grey.100' }}
                />
            )}
            {picture && link.isError && (
                <Typography color="error" variant="body2">
                    {t('app.case.evidence_failed')}
                </Typography>
            )}
            <Box component="figcaption" sx={{ mt: 0.5 }}>
                <Typography variant="body2">
                    <strong>{f.label('evidence_kind', evidence.type)}</strong>
                    {evidence.note ? ' · ' : ''}
                    {evidence.note ? <D>{evidence.note}</D> : null}
                </Typography>
                <Typography variant="caption" color="text.secondary" component="div">
                    <D>{evidence.content_type ?? ''}</D> {f.kilobytes(evidence.size_bytes)}
                </Typography>
                <Button size="small" onClick={() => void open()} data-testid={`evidence-open-${n}`}>
                    {t('app.case.evidence_open', { n: n + 1 })}
                </Button>
            </Box>
        </Box>
    );
}

function Evidence({ c }: { c: CaseView }) {
    const t = useTranslate();
    const items = c.evidence ?? [];
    if (items.length === 0) return <Typography color="text.secondary">{t('app.case.no_evidence')}</Typography>;
    return (
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1 }}>
            {items.map((e, n) => (
                <EvidenceItem key={n} caseId={c.id} n={n} evidence={e} />
            ))}
        </Box>
    );
}

// ------------------------------------------------------------------ the order

function Order({ c }: { c: CaseView }) {
    const t = useTranslate();
    const f = useFormats();
    const api = useApi();
    const role = useRole();
    const ref = c.order;
    const storefront = ref?.storefront ?? null;
    const order = useQuery({
        queryKey: ['order', storefront, ref?.order_id],
        queryFn: () => api.readOrder(storefront ?? '', ref?.order_id ?? ''),
        enabled: Boolean(ref && storefront && can(role, 'readOrder')),
        retry: false,
    });
    if (!ref) return <Typography color="text.secondary">{t('app.case.no_order')}</Typography>;
    const head: [string, React.ReactNode][] = [
        [t('app.case.storefront'), <Val v={storefront} />],
        [t('app.case.order_id'), <Val v={ref.order_id} />],
    ];
    if (!order.data) {
        return (
            <Box>
                <Facts rows={head} />
                {order.isError && (
                    <Typography color="text.secondary" sx={{ mt: 1 }}>
                        {t('app.case.order_not_visible')}
                    </Typography>
                )}
            </Box>
        );
    }
    const o = order.data;
    return (
        <Box data-testid="order">
            <Facts
                rows={[
                    ...head,
                    [t('app.case.order_name'), <Val v={o.name ?? o.order_id} />],
                    [t('app.case.created_at'), f.dateTime(o.created_at)],
                    [t('app.case.paid_at'), f.dateTime(o.paid_at)],
                    [t('app.case.shipped_at'), f.dateTime(o.shipped_at)],
                    [t('app.case.delivered_at'), f.dateTime(o.delivered_at)],
                    [t('app.case.total'), f.money(o.total_minor, o.currency)],
                    [t('app.case.refunded'), f.money(o.refunded_minor, o.currency)],
                ]}
            />
            <Table size="small" sx={{ mt: 1 }}>
                <TableHead>
                    <TableRow>
                        <TableCell>{t('app.case.line_title')}</TableCell>
                        <TableCell>{t('app.case.sku')}</TableCell>
                        <TableCell align="right">{t('app.case.quantity')}</TableCell>
                        <TableCell align="right">{t('app.case.unit_price')}</TableCell>
                        <TableCell>{t('app.case.remedy')}</TableCell>
                    </TableRow>
                </TableHead>
                <TableBody>
                    {o.lines.map(line => (
                        <TableRow
                            key={line.line_id}
                            selected={(ref.line_ids ?? []).includes(line.line_id)}
                        >
                            <TableCell>
                                <D>{line.title}</D>
                            </TableCell>
                            <TableCell>
                                <D>{line.sku ?? ''}</D>
                            </TableCell>
                            <TableCell align="right">{f.number(line.quantity)}</TableCell>
                            <TableCell align="right">{f.money(line.unit_price_minor, o.currency)}</TableCell>
                            <TableCell>{line.entitlement ? f.label('remedy', line.entitlement.remedy) : ''}</TableCell>
                        </TableRow>
                    ))}
                </TableBody>
            </Table>
        </Box>
    );
}

// ------------------------------------------------------------------ return, work, complaint

function Returns({ flow }: { flow: NonNullable<CaseView['returns']> }) {
    const t = useTranslate();
    const f = useFormats();
    const terms = flow.terms;
    const rows: [string, React.ReactNode][] = [
        [t('app.case.kind'), f.label('return_kind', terms.kind)],
        [t('app.case.reason'), f.label('return_reason', terms.reason)],
        [t('app.case.units'), f.number(terms.units)],
        [t('app.case.unit_price'), f.money(terms.unit_price_minor, terms.currency)],
        [t('app.case.stage'), <Chip size="small" label={f.label('stage', flow.stage)} data-testid="return-stage" />],
        [t('app.case.required_level'), f.label('role', flow.required_level)],
        [t('app.case.round'), f.number(flow.round)],
    ];
    if (flow.deadline) {
        rows.push([
            `${t('app.case.deadline')} · ${f.label('deadline_kind', flow.deadline.kind)}`,
            <TimeLeft due={flow.deadline.due} showDate />,
        ]);
    }
    if (flow.shipment) {
        rows.push([
            t('app.case.tracking_number'),
            <D>
                {flow.shipment.carrier} {flow.shipment.tracking_number}
            </D>,
        ]);
    }
    const refund = flow.refund;
    if (refund) {
        rows.push(
            [t('app.case.refund_paid'), f.money(refund.paid_minor, refund.currency)],
            [t('app.case.refund_fee'), f.money(refund.fee_minor, refund.currency)],
            [t('app.case.refund_shipping'), f.money(refund.shipping_reimbursed_minor, refund.currency)],
            [t('app.case.refund_total'), <strong>{f.money(refund.total_minor, refund.currency)}</strong>],
        );
    }
    return <Facts rows={rows} />;
}

function Work({ c, w }: { c: CaseView; w: NonNullable<CaseView['work']> }) {
    const t = useTranslate();
    const f = useFormats();
    const role = useRole();
    const print = usePrintSlip();
    const rows: [string, React.ReactNode][] = [
        [t('app.case.kind'), f.label('work_kind', w.kind)],
        [t('app.case.board'), f.label('board', w.board)],
        [t('app.case.due'), w.finished_at || w.started_at ? f.dateTime(w.due) : <TimeLeft due={w.due} showDate />],
        [t('app.case.late'), w.late ? t('app.common.yes') : t('app.common.no')],
        [
            t('app.case.visit'),
            w.booking ? (
                <span>
                    <D>{w.booking.technician_name}</D> · {f.dateTime(w.booking.start)}–{f.time(w.booking.end)}
                </span>
            ) : (
                t('app.common.none')
            ),
        ],
        [t('app.case.service'), <Text>{w.service}</Text>],
        [t('app.case.skill'), <D>{w.skill}</D>],
        [
            t('app.case.district'),
            <span>
                <D>{w.district}</D> · {f.label('area', w.area)}
            </span>,
        ],
        [t('app.case.balance_due'), f.money(w.balance_due_minor, w.currency)],
        [t('app.case.cash_advance'), f.money(w.cash_advance_minor ?? 0, w.currency)],
    ];
    return (
        <Box>
            <Facts rows={rows} />
            {can(role, 'printDispatchSlip') && (
                <Box sx={{ display: 'flex', gap: 1, mt: 1 }}>
                    <Button startIcon={<PrintIcon />} onClick={() => print(c.id, 'zh-CN')} data-testid="print-slip-zh">
                        {t('app.common.print_zh')}
                    </Button>
                    <Button startIcon={<PrintIcon />} onClick={() => print(c.id, 'en')} data-testid="print-slip-en">
                        {t('app.common.print_en')}
                    </Button>
                </Box>
            )}
        </Box>
    );
}

function Complaint({ k }: { k: NonNullable<CaseView['complaint']> }) {
    const t = useTranslate();
    const f = useFormats();
    const rows: [string, React.ReactNode][] = [
        [t('app.case.channel'), f.label('complaint_channel', k.channel)],
        [t('app.case.handler'), f.label('role', k.handler)],
    ];
    if (k.answer_due) {
        rows.push([
            t('app.case.answer_due'),
            k.answered_at ? f.dateTime(k.answer_due) : <TimeLeft due={k.answer_due} showDate />,
        ]);
    }
    if (k.answer) rows.push([t('app.case.answer'), <Text>{k.answer}</Text>]);
    if (k.resolution) rows.push([t('app.case.resolution'), <Text>{k.resolution}</Text>]);
    if (k.against) rows.push([t('app.case.against'), <D>{k.against}</D>]);
    if (k.overdue) rows.push([t('app.case.overdue'), t('app.common.yes')]);
    return <Facts rows={rows} />;
}

function termLabel(terms: Schemas['Term'][] | undefined, code: string | null | undefined, f: Formats): string {
    if (!code) return f.label('common', null);
    const term = (terms ?? []).find(x => x.code === code);
    if (!term) return code;
    return f.locale === 'zh-CN' ? term.zh : term.en;
}

function FeedbackFacts({ c, vocab }: { c: CaseView; vocab: Vocabulary | null }) {
    const t = useTranslate();
    const f = useFormats();
    const rows: [string, React.ReactNode][] = [];
    if (c.tags) {
        rows.push([
            t('app.case.tags'),
            [
                termLabel(vocab?.reasons, c.tags.reason, f),
                termLabel(vocab?.defects, c.tags.defect, f),
                termLabel(vocab?.responsibilities, c.tags.responsibility, f),
            ].join(' · '),
        ]);
    }
    if (c.callback) {
        rows.push([
            t('app.case.next_callback'),
            <span>
                {f.label('callback_kind', c.callback.kind)} · {f.label('callback_state', c.callback.state)} ·{' '}
                <TimeLeft due={c.callback.due_at} showDate />
            </span>,
        ]);
    }
    for (const cb of c.callbacks ?? []) {
        rows.push([
            `${t('app.case.callbacks')} · ${f.dateTime(cb.at)}`,
            <Parts
                parts={[
                    f.label('callback_outcome', cb.outcome),
                    ...(cb.level ? [f.label('satisfaction', cb.level)] : []),
                    ...data(cb.note),
                ]}
            />,
        ]);
    }
    if (c.survey) {
        const a = c.survey.answer;
        rows.push([
            t('app.case.survey'),
            a ? (
                <Parts
                    parts={[
                        f.label('satisfaction', a.level),
                        ...(a.reasons ?? []).map(r => f.label('survey_reason', r)),
                        ...data(a.comment),
                    ]}
                />
            ) : (
                t('app.case.survey_open', { at: f.dateTime(c.survey.opened_at) })
            ),
        ]);
    }
    if (rows.length === 0) return null;
    return <Facts rows={rows} />;
}

// ------------------------------------------------------------------ the timeline

type Part = string | { data: string };
const data = (v: string | null | undefined): Part[] => (v ? [{ data: v }] : []);

/** What an event did: the catalogue's words, and the API's own text marked as data. */
function describe(e: Event, f: Formats, t: (k: string, o?: object) => string, vocab: Vocabulary | null): Part[] {
    const parts: Part[] = [f.label('event', e.type)];
    switch (e.type) {
        case 'filed':
            parts.push(f.label('type', e.case_type), f.label('channel', e.channel));
            if (e.remedy) parts.push(f.label('remedy', e.remedy));
            break;
        case 'evidence_added':
            parts.push(e.evidence.map(x => f.label('evidence_kind', x.type)).join(', '));
            break;
        case 'cancelled':
            parts.push(f.label('status', e.from), ...data(e.reason));
            break;
        case 'order_cancelled_at_storefront':
        case 'order_shipped_at_storefront':
            parts.push(...data(e.order_id));
            break;
        case 'order_amended_at_storefront':
            parts.push(...data(e.order_id), ...data(e.what));
            break;
        case 'refunded_at_storefront':
            parts.push(f.money(e.amount_minor, e.currency));
            break;
        case 'return':
            for (const ch of e.changes) {
                parts.push(f.label('return_change', ch.type));
                switch (ch.type) {
                    case 'approved':
                    case 'rejected':
                    case 'scrap_approved':
                        parts.push(f.label('decision_reason', ch.reason_code), ...data(ch.note));
                        break;
                    case 'resubmitted':
                    case 'escalated':
                        parts.push(...data(ch.note));
                        break;
                    case 'shipped':
                    case 'reshipped':
                    case 'sent_back':
                        parts.push(...data(`${ch.carrier} ${ch.tracking_number}`));
                        break;
                    case 'received':
                        parts.push(f.number(ch.units));
                        break;
                    case 'inspected':
                        parts.push(
                            f.label('responsibility', ch.responsibility),
                            ch.dispositions.map(d => f.label('disposition', d)).join(', '),
                        );
                        break;
                    case 'refused_on_inspection':
                        parts.push(...data(ch.reason));
                        break;
                    case 'refund_calculated':
                        parts.push(f.money(ch.breakdown.total_minor, ch.breakdown.currency));
                        break;
                    case 'refunded':
                        parts.push(f.money(ch.amount_minor, ch.currency));
                        break;
                    case 'return_cancelled':
                        parts.push(f.label('stage', ch.from), ...data(ch.reason));
                        break;
                    default:
                        break;
                }
            }
            break;
        case 'survey_answered':
            parts.push(f.label('satisfaction', e.level));
            if (e.reasons?.length) parts.push(e.reasons.map(r => f.label('survey_reason', r)).join(', '));
            break;
        case 'reopened':
            if (e.reasons?.length) parts.push(e.reasons.map(r => f.label('survey_reason', r)).join(', '));
            parts.push(...data(e.complaint));
            break;
        case 'complaint_answered':
            parts.push(...data(e.note));
            break;
        case 'complaint_resolved':
            parts.push(...data(e.resolution), ...data(e.against));
            break;
        case 'callback_due':
            parts.push(f.label('callback_kind', e.kind));
            break;
        case 'callback_recorded':
            parts.push(f.label('callback_outcome', e.outcome));
            if (e.level) parts.push(f.label('satisfaction', e.level));
            break;
        case 'tagged':
            parts.push(
                termLabel(vocab?.reasons, e.reason, f),
                termLabel(vocab?.defects, e.defect, f),
                termLabel(vocab?.responsibilities, e.responsibility, f),
            );
            break;
        case 'work': {
            const s = e.step;
            parts.push(f.label('work_step', s.step));
            switch (s.step) {
                case 'opened':
                    parts.push(f.label('work_kind', s.kind), f.dateTime(s.due));
                    break;
                case 'booked':
                    parts.push(...data(s.technician), `${f.dateTime(s.start)}–${f.time(s.end)}`);
                    break;
                case 'booking_cancelled':
                    parts.push(...data(s.technician), f.dateTime(s.start));
                    break;
                case 'status':
                    parts.push(`${f.label('board', s.from)} → ${f.label('board', s.to)}`);
                    break;
                case 'part_used':
                    parts.push(...data(s.part), `× ${s.quantity}`);
                    break;
                case 'change_answered':
                    parts.push(s.accepted ? t('app.common.yes') : t('app.common.no'));
                    break;
                case 'finished':
                    parts.push(f.label('work_result', s.result), ...data(s.fault));
                    break;
                case 'inspected':
                    parts.push(s.passed ? t('app.common.yes') : t('app.common.no'));
                    break;
                case 'late':
                    parts.push(f.label('role', s.to));
                    break;
                default:
                    break;
            }
            break;
        }
        case 'storefront_return_status':
            parts.push(...data(e.status));
            break;
        case 'storefront_written':
            parts.push(f.label('writeback_step', e.step), ...data(e.reference));
            break;
        case 'storefront_refused':
            parts.push(f.label('writeback_step', e.step), ...data(e.message));
            break;
        case 'storefront_not_written':
            parts.push(f.label('writeback_step', e.step), ...data(e.why));
            break;
        case 'write_back_retried':
            parts.push(f.label('writeback_step', e.step));
            break;
        case 'write_back_settled':
            parts.push(f.label('writeback_step', e.step), ...data(e.note));
            break;
        default:
            break;
    }
    return parts.filter(p => p !== '');
}

/** What each decision came to in the shop: done (its reference), refused (the shop's words),
 * not written (why), settled by hand (the note), or waiting. */
function WriteBacks({ c }: { c: CaseView }) {
    const f = useFormats();
    const rows: [string, React.ReactNode][] = (c.writebacks ?? []).map(w => {
        const said =
            w.state === 'done'
                ? data(w.reference)
                : w.state === 'failed'
                  ? data(w.message)
                  : w.state === 'not_written'
                    ? data(w.why)
                    : w.state === 'settled'
                      ? [...data(w.by), ...data(w.note)]
                      : [];
        const at = w.state === 'pending' ? w.queued_at : w.at;
        return [
            f.label('writeback_step', w.step),
            <span data-testid="writeback" data-state={w.state}>
                <Parts parts={[f.label('writeback_state', w.state), f.dateTime(at), ...said]} />
            </span>,
        ];
    });
    return <Facts rows={rows} />;
}

function Parts({ parts }: { parts: Part[] }) {
    return (
        <>
            {parts.map((p, i) => (
                <span key={i}>
                    {i > 0 ? ' · ' : ''}
                    {typeof p === 'string' ? p : <D>{p.data}</D>}
                </span>
            ))}
        </>
    );
}

function Timeline({ c, vocab }: { c: CaseView; vocab: Vocabulary | null }) {
    const t = useTranslate();
    const f = useFormats();
    return (
        <Table size="small" data-testid="timeline">
            <TableHead>
                <TableRow>
                    <TableCell>{t('app.case.when')}</TableCell>
                    <TableCell>{t('app.case.who')}</TableCell>
                    <TableCell>{t('app.case.what')}</TableCell>
                </TableRow>
            </TableHead>
            <TableBody>
                {c.timeline.map((e, i) => (
                    <TableRow key={i} data-testid="timeline-event" data-type={e.type}>
                        <TableCell sx={{ whiteSpace: 'nowrap' }}>{f.dateTime(e.at)}</TableCell>
                        <TableCell>
                            <D>{e.actor.name ?? e.actor.id}</D> · {f.label('role', e.actor.role)}
                        </TableCell>
                        <TableCell>
                            <Parts parts={describe(e, f, t, vocab)} />
                        </TableCell>
                    </TableRow>
                ))}
            </TableBody>
        </Table>
    );
}

// ------------------------------------------------------------------ the page

function CaseBody() {
    const t = useTranslate();
    const api = useApi();
    const role = useRole();
    const record = useRecordContext<CaseView & RaRecord>();
    const policy = useQuery({
        queryKey: ['policy'],
        queryFn: () => api.readPolicy(),
        enabled: can(role, 'readPolicy'),
        staleTime: 5 * 60_000,
    });
    if (!record) return null;
    const vocab = policy.data?.policy.feedback?.tags ?? null;
    return (
        <Box data-testid="case" data-case-id={record.id} sx={{ mt: 1 }}>
            <Grid container spacing={2}>
                <Grid size={{ xs: 12, md: 7 }}>
                    <Section title={t('app.case.details')} testId="case-details">
                        <Details c={record} />
                    </Section>
                    {record.entitlement && (
                        <Section title={t('app.case.entitlement')} testId="case-entitlement">
                            <Entitlement e={record.entitlement} />
                        </Section>
                    )}
                    <Section title={t('app.case.evidence')} testId="case-evidence">
                        <Evidence c={record} />
                    </Section>
                    <Section title={t('app.case.order')} testId="case-order">
                        <Order c={record} />
                    </Section>
                </Grid>
                <Grid size={{ xs: 12, md: 5 }}>
                    <Section title={t('app.case.actions')} testId="case-actions-section">
                        <CaseActions record={record} tags={vocab} />
                        {policy.isError && <ErrorNote error={policy.error} />}
                    </Section>
                    <Section title={t('app.case.customer')} testId="case-customer">
                        <Customer c={record} />
                    </Section>
                    {record.returns && (
                        <Section title={t('app.case.returns')} testId="case-return">
                            <Returns flow={record.returns} />
                        </Section>
                    )}
                    {(record.writebacks ?? []).length > 0 && (
                        <Section title={t('app.case.writebacks')} testId="case-writebacks">
                            <WriteBacks c={record} />
                        </Section>
                    )}
                    {record.work && (
                        <Section title={t('app.case.work')} testId="case-work">
                            <Work c={record} w={record.work} />
                        </Section>
                    )}
                    {record.complaint && (
                        <Section title={t('app.case.complaint')} testId="case-complaint">
                            <Complaint k={record.complaint} />
                        </Section>
                    )}
                    {(record.tags || record.callback || record.survey || (record.callbacks ?? []).length > 0) && (
                        <Section title={t('app.case.callbacks')} testId="case-feedback">
                            <FeedbackFacts c={record} vocab={vocab} />
                        </Section>
                    )}
                </Grid>
                <Grid size={12}>
                    <Section title={t('app.case.timeline')} testId="case-timeline">
                        <Timeline c={record} vocab={vocab} />
                    </Section>
                </Grid>
            </Grid>
        </Box>
    );
}

export default function CaseShow() {
    return (
        <Show title={<CaseTitle />} actions={false} component="div" resource="cases">
            <CaseBody />
        </Show>
    );
}
