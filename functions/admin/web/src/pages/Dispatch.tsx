// The dispatch board: every technician's day (GET /v1/dispatch/day: hours, bookings, free
// windows) as a timeline, the late work orders (GET /v1/work-orders?late=true) marked, the
// open work orders still to book, and assigning one: the ranked technicians who fit
// (GET /v1/cases/{id}/suggestions) then booking (POST /v1/cases/{id}/work {"action":"book"}).
import { useMemo, useState } from 'react';
import {
    Alert,
    Box,
    Button,
    Dialog,
    DialogActions,
    DialogContent,
    DialogTitle,
    IconButton,
    Table,
    TableBody,
    TableCell,
    TableHead,
    TableRow,
    Tooltip,
    Typography,
} from '@mui/material';
import RefreshIcon from '@mui/icons-material/Refresh';
import PrintIcon from '@mui/icons-material/Print';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Title, useNotify, useTranslate } from 'react-admin';
import type { Schemas } from '../api/client';
import { D, DayField, ErrorNote, localDay, Section, TimeLeft, useNotifyProblem } from '../components';
import { useApi, type CaseSummary } from '../dataProvider';
import { useFormats } from '../i18n';
import { useRole } from '../Layout';
import { can, canStep } from '../permissions';
import { usePrintSlip } from './slip';

type Day = Schemas['DaySheet'];
type TechnicianDay = Schemas['TechnicianDay'];

const caseLink = (id: string) => `/cases/${encodeURIComponent(id)}/show`;

/** The span the timeline shows: the earliest start to the latest end of the day's hours and
 * bookings, whole hours, at least 8:00 to 18:00 local. */
function span(day: Day): [number, number] {
    const base = new Date(`${day.date}T00:00:00`);
    let from = base.getTime() + 8 * 3_600_000;
    let to = base.getTime() + 18 * 3_600_000;
    for (const t of day.technicians) {
        const windows = [...(t.hours ? [t.hours] : []), ...t.bookings, ...t.free];
        for (const w of windows) {
            from = Math.min(from, Date.parse(w.start));
            to = Math.max(to, Date.parse(w.end));
        }
    }
    const hour = 3_600_000;
    return [Math.floor(from / hour) * hour, Math.ceil(to / hour) * hour];
}

function Bar({
    start,
    end,
    range,
    color,
    children,
    testId,
    title,
}: {
    start: string;
    end: string;
    range: [number, number];
    color: string;
    children?: React.ReactNode;
    testId?: string;
    title?: string;
}) {
    const [from, to] = range;
    const total = to - from;
    const left = ((Date.parse(start) - from) / total) * 100;
    const width = ((Date.parse(end) - Date.parse(start)) / total) * 100;
    const bar = (
        <Box
            data-testid={testId}
            sx={{
                position: 'absolute',
                top: 4,
                bottom: 4,
                left: `${Math.max(left, 0)}%`,
                width: `${Math.max(width, 0.5)}%`,
                bgcolor: color,
                borderRadius: 0.5,
                overflow: 'hidden',
                fontSize: 12,
                color: 'common.white',
                px: 0.5,
                display: 'flex',
                alignItems: 'center',
                whiteSpace: 'nowrap',
            }}
        >
            {children}
        </Box>
    );
    return title ? <Tooltip title={title}>{bar}</Tooltip> : bar;
}

function TechnicianRow({
    t,
    range,
    late,
}: {
    t: TechnicianDay;
    range: [number, number];
    late: Set<string>;
}) {
    const translate = useTranslate();
    const f = useFormats();
    return (
        <Box
            role="row"
            data-testid={`technician-${t.technician}`}
            sx={{ display: 'grid', gridTemplateColumns: '12rem 1fr', borderTop: 1, borderColor: 'divider' }}
        >
            <Box role="rowheader" sx={{ p: 1 }}>
                <Typography variant="body2" sx={{ fontWeight: 600 }}>
                    <D>{t.name}</D>
                </Typography>
                <Typography variant="caption" color="text.secondary">
                    <D>{t.technician}</D> · {translate('app.dispatch.capacity', { count: t.capacity })} ·{' '}
                    {translate('app.dispatch.load')} {t.bookings.length}
                </Typography>
            </Box>
            <Box role="cell" sx={{ position: 'relative', minHeight: 44, bgcolor: 'grey.200' }}>
                {t.hours ? (
                    <Bar
                        start={t.hours.start}
                        end={t.hours.end}
                        range={range}
                        color="grey.400"
                        title={`${translate('app.dispatch.hours')} ${f.time(t.hours.start)}–${f.time(t.hours.end)}`}
                    />
                ) : (
                    <Typography variant="caption" sx={{ position: 'absolute', left: 8, top: 12 }}>
                        {translate('app.dispatch.not_working')}
                    </Typography>
                )}
                {t.free.map((w, i) => (
                    <Bar
                        key={`free-${i}`}
                        start={w.start}
                        end={w.end}
                        range={range}
                        color="success.light"
                        testId="free-window"
                        title={`${translate('app.dispatch.free')} ${f.time(w.start)}–${f.time(w.end)}`}
                    />
                ))}
                {t.bookings.map(b => {
                    const isLate = late.has(b.case_id);
                    return (
                        <Bar
                            key={b.case_id + b.start}
                            start={b.start}
                            end={b.end}
                            range={range}
                            color={isLate ? 'error.main' : 'primary.main'}
                            testId={`booking-${b.case_id}`}
                            title={`${f.time(b.start)}–${f.time(b.end)} · ${f.label('work_kind', b.kind)}`}
                        >
                            <Link
                                to={caseLink(b.case_id)}
                                sx={{ color: 'inherit' }}
                                data-late={isLate ? 'true' : 'false'}
                            >
                                {isLate
                                    ? translate('app.dispatch.late_booking', { id: b.case_id })
                                    : translate('app.dispatch.booking', { id: b.case_id })}
                            </Link>
                        </Bar>
                    );
                })}
            </Box>
        </Box>
    );
}

function Board({ day, late }: { day: Day; late: Set<string> }) {
    const translate = useTranslate();
    const f = useFormats();
    const range = useMemo(() => span(day), [day]);
    const hours: number[] = [];
    for (let h = range[0]; h < range[1]; h += 3_600_000) hours.push(h);
    return (
        <Box data-testid="dispatch-board" role="table" aria-label={translate('app.dispatch.title')}>
            <Box role="row" sx={{ display: 'grid', gridTemplateColumns: '12rem 1fr' }}>
                <Box role="columnheader" sx={{ p: 1 }}>
                    <Typography variant="caption">{translate('app.dispatch.technician')}</Typography>
                </Box>
                <Box
                    role="columnheader"
                    sx={{ display: 'grid', gridTemplateColumns: `repeat(${hours.length}, 1fr)` }}
                >
                    {hours.map(h => (
                        <Typography key={h} variant="caption" sx={{ borderLeft: 1, borderColor: 'divider', pl: 0.5 }}>
                            {f.time(new Date(h).toISOString())}
                        </Typography>
                    ))}
                </Box>
            </Box>
            {day.technicians.map(t => (
                <TechnicianRow key={t.technician} t={t} range={range} late={late} />
            ))}
            <Box sx={{ display: 'flex', gap: 2, mt: 1, alignItems: 'center' }} aria-label={translate('app.dispatch.legend')}>
                {(
                    [
                        ['grey.400', 'app.dispatch.legend_hours'],
                        ['success.light', 'app.dispatch.legend_free'],
                        ['primary.main', 'app.dispatch.legend_booking'],
                        ['error.main', 'app.dispatch.legend_late'],
                    ] as const
                ).map(([color, key]) => (
                    <Box key={key} sx={{ display: 'flex', alignItems: 'center', gap: 0.5 }}>
                        <Box sx={{ width: 14, height: 14, bgcolor: color, borderRadius: 0.5 }} />
                        <Typography variant="caption">{translate(key)}</Typography>
                    </Box>
                ))}
            </Box>
        </Box>
    );
}

function AssignDialog({
    caseId,
    date,
    onClose,
    onBooked,
}: {
    caseId: string;
    date: string;
    onClose: () => void;
    onBooked: () => void;
}) {
    const translate = useTranslate();
    const f = useFormats();
    const api = useApi();
    const notify = useNotify();
    const notifyProblem = useNotifyProblem();
    const [busy, setBusy] = useState(false);
    const suggestions = useQuery({
        queryKey: ['suggestions', caseId, date],
        queryFn: () => api.suggestions(caseId, date),
        retry: false,
    });
    const book = async (s: Schemas['Suggested']) => {
        setBusy(true);
        try {
            await api.workStep(caseId, { action: 'book', start: s.start, technician: s.technician });
            notify(translate('app.dispatch.booked', { id: caseId, name: s.name }), { type: 'success' });
            onBooked();
            onClose();
        } catch (e) {
            notifyProblem(e);
        } finally {
            setBusy(false);
        }
    };
    return (
        <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-labelledby="assign-title">
            <DialogTitle id="assign-title">
                {translate('app.dispatch.suggestions', { id: caseId, date: f.date(date) })}
            </DialogTitle>
            <DialogContent data-testid="suggestions">
                {suggestions.isPending && <Typography>{translate('app.common.loading')}</Typography>}
                {suggestions.isError && <ErrorNote error={suggestions.error} />}
                {suggestions.data && suggestions.data.length === 0 && (
                    <Alert severity="info">{translate('app.dispatch.no_suggestions')}</Alert>
                )}
                {suggestions.data && suggestions.data.length > 0 && (
                    <Table size="small">
                        <TableHead>
                            <TableRow>
                                <TableCell>{translate('app.dispatch.technician')}</TableCell>
                                <TableCell>{translate('app.dispatch.band')}</TableCell>
                                <TableCell align="right">{translate('app.dispatch.load')}</TableCell>
                                <TableCell>{translate('app.dispatch.earliest')}</TableCell>
                                <TableCell />
                            </TableRow>
                        </TableHead>
                        <TableBody>
                            {suggestions.data.map(s => (
                                <TableRow key={s.technician} data-testid={`suggestion-${s.technician}`}>
                                    <TableCell>
                                        <D>{s.name}</D> (<D>{s.technician}</D>)
                                    </TableCell>
                                    <TableCell>{f.label('area', s.band)}</TableCell>
                                    <TableCell align="right">{f.number(s.load)}</TableCell>
                                    <TableCell>{f.dateTime(s.start)}</TableCell>
                                    <TableCell>
                                        <Button
                                            variant="contained"
                                            size="small"
                                            disabled={busy}
                                            onClick={() => void book(s)}
                                            data-testid={`book-${s.technician}`}
                                        >
                                            {translate('app.dispatch.book')}
                                        </Button>
                                    </TableCell>
                                </TableRow>
                            ))}
                        </TableBody>
                    </Table>
                )}
            </DialogContent>
            <DialogActions>
                <Button onClick={onClose} data-testid="assign-close">
                    {translate('app.common.close')}
                </Button>
            </DialogActions>
        </Dialog>
    );
}

function OrdersTable({
    items,
    testId,
    onAssign,
    canAssign,
    canPrint,
}: {
    items: CaseSummary[];
    testId: string;
    onAssign: (id: string) => void;
    canAssign: boolean;
    canPrint: boolean;
}) {
    const translate = useTranslate();
    const f = useFormats();
    const print = usePrintSlip();
    return (
        <Table size="small" data-testid={testId}>
            <TableHead>
                <TableRow>
                    <TableCell>{translate('resources.work-orders.fields.id')}</TableCell>
                    <TableCell>{translate('resources.work-orders.fields.title')}</TableCell>
                    <TableCell>{translate('resources.work-orders.fields.technician')}</TableCell>
                    <TableCell>{translate('app.dispatch.due')}</TableCell>
                    <TableCell />
                </TableRow>
            </TableHead>
            <TableBody>
                {items.map(c => (
                    <TableRow key={c.id} data-testid={`work-order-${c.id}`} data-late={c.work?.late ? 'true' : 'false'}>
                        <TableCell>
                            <Link to={caseLink(c.id)}>{c.id}</Link>
                        </TableCell>
                        <TableCell>
                            <D>{c.title}</D>
                        </TableCell>
                        <TableCell>
                            {c.work?.technician ?? c.assignee ? (
                                <D>{c.work?.technician ?? c.assignee}</D>
                            ) : (
                                translate('app.common.none')
                            )}
                        </TableCell>
                        <TableCell>
                            {c.work ? <TimeLeft due={c.work.due} showDate /> : translate('app.common.none')}
                            {c.work?.start ? ` · ${f.time(c.work.start)}` : ''}
                        </TableCell>
                        <TableCell sx={{ whiteSpace: 'nowrap' }}>
                            {canAssign && (
                                <Button size="small" onClick={() => onAssign(c.id)} data-testid={`assign-${c.id}`}>
                                    {translate('app.dispatch.assign')}
                                </Button>
                            )}
                            {canPrint && c.work?.start && (
                                <>
                                    <Button
                                        size="small"
                                        startIcon={<PrintIcon />}
                                        aria-label={translate('app.common.print_zh')}
                                        onClick={() => print(c.id, 'zh-CN')}
                                        data-testid={`print-zh-${c.id}`}
                                    >
                                        {translate('app.dispatch.slip_zh')}
                                    </Button>
                                    <Button
                                        size="small"
                                        startIcon={<PrintIcon />}
                                        aria-label={translate('app.common.print_en')}
                                        onClick={() => print(c.id, 'en')}
                                        data-testid={`print-en-${c.id}`}
                                    >
                                        {translate('app.dispatch.slip_en')}
                                    </Button>
                                </>
                            )}
                        </TableCell>
                    </TableRow>
                ))}
            </TableBody>
        </Table>
    );
}

export default function Dispatch() {
    const translate = useTranslate();
    const api = useApi();
    const role = useRole();
    const queryClient = useQueryClient();
    const [date, setDate] = useState(() => localDay());
    const [assigning, setAssigning] = useState<string | null>(null);
    const mayList = can(role, 'listWorkOrders');
    const mayAssign = can(role, 'suggestTechnicians') && canStep(role, 'workStep', 'book');
    const mayPrint = can(role, 'printDispatchSlip');

    const day = useQuery({ queryKey: ['day', date], queryFn: () => api.daySheet(date) });
    const late = useQuery({
        queryKey: ['work-orders', 'late'],
        queryFn: () => api.workOrders(true),
        enabled: mayList,
    });
    const open = useQuery({
        queryKey: ['work-orders', 'open'],
        queryFn: () => api.workOrders(false),
        enabled: mayList,
    });
    const lateIds = useMemo(() => new Set((late.data?.items ?? []).map(c => c.id)), [late.data]);
    const toBook = (open.data?.items ?? []).filter(c => c.work && !c.work.start && !c.work.met);

    const reload = () => {
        void queryClient.invalidateQueries({ queryKey: ['day'] });
        void queryClient.invalidateQueries({ queryKey: ['work-orders'] });
    };

    return (
        <Box sx={{ mt: 1 }} data-testid="dispatch">
            <Title title="app.dispatch.title" />
            <Section
                title={translate('app.dispatch.title')}
                actions={
                    <Box sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
                        <DayField
                            label={translate('app.dispatch.date')}
                            value={date}
                            onChange={day => day && setDate(day)}
                            testId="dispatch-date"
                        />
                        <IconButton onClick={reload} aria-label={translate('app.common.refresh')} data-testid="dispatch-refresh">
                            <RefreshIcon />
                        </IconButton>
                    </Box>
                }
            >
                {day.isPending && <Typography>{translate('app.common.loading')}</Typography>}
                {day.isError && <ErrorNote error={day.error} />}
                {day.data && <Board day={day.data} late={lateIds} />}
            </Section>
            {mayList && (
                <Section title={translate('app.dispatch.late_orders')} testId="late-orders">
                    {late.isError && <ErrorNote error={late.error} />}
                    {late.data && late.data.items.length === 0 && (
                        <Typography color="text.secondary">{translate('app.dispatch.no_late')}</Typography>
                    )}
                    {late.data && late.data.items.length > 0 && (
                        <OrdersTable
                            items={late.data.items}
                            testId="late-orders-table"
                            onAssign={setAssigning}
                            canAssign={mayAssign}
                            canPrint={mayPrint}
                        />
                    )}
                </Section>
            )}
            {mayList && (
                <Section title={translate('app.dispatch.to_assign')} testId="to-assign">
                    {open.isError && <ErrorNote error={open.error} />}
                    {open.data && toBook.length === 0 && (
                        <Typography color="text.secondary">{translate('app.dispatch.nothing_to_assign')}</Typography>
                    )}
                    {toBook.length > 0 && (
                        <OrdersTable
                            items={toBook}
                            testId="to-assign-table"
                            onAssign={setAssigning}
                            canAssign={mayAssign}
                            canPrint={mayPrint}
                        />
                    )}
                </Section>
            )}
            {assigning && (
                <AssignDialog
                    caseId={assigning}
                    date={date}
                    onClose={() => setAssigning(null)}
                    onBooked={reload}
                />
            )}
        </Box>
    );
}
