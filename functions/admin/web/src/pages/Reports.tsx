// The reports of a period (GET /v1/reports?from=&to=): return rate and reasons by product,
// satisfaction by technician and by week, deadline compliance by promise, repeat repairs by
// product and the service-rating self-assessment. Each chart's numbers are also a table
// beneath it (each cell's raw number in data-value) and a CSV download (made here).
import { useMemo, useState, type ReactNode } from 'react';
import {
    Alert,
    Box,
    Button,
    Chip,
    Table,
    TableBody,
    TableCell,
    TableHead,
    TableRow,
    Typography,
} from '@mui/material';
import DownloadIcon from '@mui/icons-material/Download';
import { useQuery } from '@tanstack/react-query';
import { Title, useTranslate } from 'react-admin';
import type { Schemas } from '../api/client';
import { D, DayField, ErrorNote, localDay, Section } from '../components';
import { useApi } from '../dataProvider';
import { useFormats, type Formats } from '../i18n';
import { EChart, type BarSeries, type ChartOption, type LineSeries } from './EChart';

type Reports = Schemas['Reports'];
type Levels = Schemas['Levels'];

/** A cell: its raw value (CSV, data-value), its text, and whether the text is the API's own. */
type Cell = { value: string | number | null; text: string; data?: boolean };
type Grid = { columns: string[]; rows: Cell[][] };

const LEVELS = ['very_satisfied', 'satisfied', 'average', 'dissatisfied'] as const;
const LEVEL_COLORS = ['#2e7d32', '#66bb6a', '#ffb300', '#e53935'];

function defaultRange(): [string, string] {
    const now = new Date();
    const from = new Date(now.getFullYear(), now.getMonth() - 2, 1);
    return [localDay(from), localDay(now)];
}

// ------------------------------------------------------------------ CSV

/** RFC 4180 quoting; a text cell that a spreadsheet would read as a formula is prefixed. */
function csvCell(v: string | number | null): string {
    if (v === null) return '';
    if (typeof v === 'number') return String(v);
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function downloadCsv(name: string, grid: Grid): void {
    const lines = [grid.columns, ...grid.rows.map(r => r.map(c => c.value))].map(r =>
        r.map(v => csvCell(v)).join(','),
    );
    // A byte order mark: spreadsheets then read the Chinese labels right.
    const blob = new Blob(['\uFEFF' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ------------------------------------------------------------------ cells

const num = (f: Formats, n: number | null | undefined): Cell => ({
    value: n ?? null,
    text: f.number(n),
});
const pct = (f: Formats, r: number | null | undefined): Cell => ({
    value: r ?? null,
    text: f.percent(r),
});
const txt = (value: string, text = value): Cell => ({ value, text });
const dat = (value: string, text = value): Cell => ({ value, text, data: true });

function DataTable({ grid, testId }: { grid: Grid; testId: string }) {
    return (
        <Box sx={{ overflowX: 'auto' }}>
            <Table size="small" data-testid={`${testId}-table`}>
                <TableHead>
                    <TableRow>
                        {grid.columns.map((c, i) => (
                            <TableCell key={i} align={i === 0 ? 'left' : 'right'}>
                                {c}
                            </TableCell>
                        ))}
                    </TableRow>
                </TableHead>
                <TableBody>
                    {grid.rows.map((row, r) => (
                        <TableRow key={r}>
                            {row.map((cell, i) => (
                                <TableCell
                                    key={i}
                                    align={i === 0 ? 'left' : 'right'}
                                    data-value={cell.value === null ? '' : String(cell.value)}
                                >
                                    {cell.data ? <D>{cell.text}</D> : cell.text}
                                </TableCell>
                            ))}
                        </TableRow>
                    ))}
                </TableBody>
            </Table>
        </Box>
    );
}

/** A chart's section: the chart, its numbers as a table beneath it, and their CSV download. */
type ChartBlock = { testId: string; title: string; file: string; grid: Grid; option: ChartOption };

function Block({
    block: { testId, title, file, grid, option },
    height,
    figures,
}: {
    block: ChartBlock;
    height?: number;
    /** Figures of the section's own above the chart (the rating's score): with them, a section
     * without rows keeps its table's head rather than saying there are no data. */
    figures?: ReactNode;
}) {
    const translate = useTranslate();
    const empty = grid.rows.length === 0;
    return (
        <Section
            title={title}
            testId={testId}
            actions={
                <Button
                    size="small"
                    startIcon={<DownloadIcon />}
                    onClick={() => downloadCsv(file, grid)}
                    data-testid={`${testId}-csv`}
                >
                    {translate('app.reports.download')}
                </Button>
            }
        >
            {figures}
            {empty && !figures ? (
                <Typography color="text.secondary">{translate('app.reports.no_data')}</Typography>
            ) : (
                <>
                    {!empty && <EChart option={option} height={height} label={title} />}
                    <DataTable grid={grid} testId={testId} />
                </>
            )}
        </Section>
    );
}

// ------------------------------------------------------------------ the blocks

const countAxis = { type: 'value' as const, minInterval: 1 };
const axisPercent = {
    type: 'value' as const,
    min: 0,
    max: 1,
    axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` },
};

/** A chart by category: counts on the left axis and rates on the right, unless `yAxis` says
 * otherwise. */
function categoryChart(
    categories: string[],
    series: (BarSeries | LineSeries)[],
    { yAxis = [countAxis, axisPercent], right = 48 }: { yAxis?: ChartOption['yAxis']; right?: number } = {},
): ChartOption {
    return {
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 48, right, bottom: 40, top: 40 },
        xAxis: { type: 'category', data: categories },
        yAxis,
        series,
    };
}

/** A rate (0 to 1), on the right axis. */
const rateLine = (name: string, data: (number | null)[]): LineSeries => ({ type: 'line', name, yAxisIndex: 1, data });

function useBlocks(r: Reports, f: Formats, t: (k: string, o?: object) => string) {
    return useMemo(() => {
        const file = (name: string) => `${name}-${r.period.from}-${r.period.to}.csv`;

        // Returns by product.
        const reasonKeys = Array.from(new Set(r.returns_by_product.flatMap(p => Object.keys(p.reasons))));
        const returns: ChartBlock = {
            testId: 'chart-returns',
            title: t('app.reports.returns.title'),
            file: file('returns'),
            grid: {
                columns: [
                    t('app.reports.product'),
                    t('app.reports.returns.sold'),
                    t('app.reports.returns.returned'),
                    t('app.reports.returns.rate'),
                    ...reasonKeys.map(k => f.label('return_reason', k)),
                ],
                rows: r.returns_by_product.map(p => [
                    dat(p.product),
                    num(f, p.sold),
                    num(f, p.returned),
                    pct(f, p.return_rate),
                    ...reasonKeys.map(k => num(f, p.reasons[k] ?? 0)),
                ]),
            },
            option: categoryChart(
                r.returns_by_product.map(p => p.product),
                [
                    ...reasonKeys.map(
                        (k): BarSeries => ({
                            type: 'bar',
                            stack: 'reasons',
                            name: f.label('return_reason', k),
                            data: r.returns_by_product.map(p => p.reasons[k] ?? 0),
                        }),
                    ),
                    rateLine(
                        t('app.reports.returns.rate'),
                        r.returns_by_product.map(p => p.return_rate ?? null),
                    ),
                ],
            ),
        };

        // Satisfaction by technician.
        const techs = Object.keys(r.satisfaction_by_technician).sort();
        const techName = (k: string) => (k === '-' ? t('app.reports.satisfaction.no_technician') : k);
        const levelColumns = LEVELS.map(l => f.label('satisfaction', l));
        const levelsRow = (l: Levels) => [
            ...LEVELS.map(k => num(f, l[k])),
            num(f, l.answers),
            pct(f, l.satisfied_rate),
        ];
        const satisfaction: ChartBlock = {
            testId: 'chart-satisfaction',
            title: t('app.reports.satisfaction.title'),
            file: file('satisfaction-by-technician'),
            grid: {
                columns: [
                    t('app.reports.technician'),
                    ...levelColumns,
                    t('app.reports.satisfaction.answers'),
                    t('app.reports.satisfaction.rate'),
                ],
                rows: techs.map(k => [
                    k === '-' ? txt(k, techName(k)) : dat(k),
                    ...levelsRow(r.satisfaction_by_technician[k]),
                ]),
            },
            option: categoryChart(techs.map(techName), [
                ...LEVELS.map(
                    (l, i): BarSeries => ({
                        type: 'bar',
                        stack: 'levels',
                        name: f.label('satisfaction', l),
                        itemStyle: { color: LEVEL_COLORS[i] },
                        data: techs.map(k => r.satisfaction_by_technician[k][l]),
                    }),
                ),
                rateLine(
                    t('app.reports.satisfaction.rate'),
                    techs.map(k => r.satisfaction_by_technician[k].satisfied_rate ?? null),
                ),
            ]),
        };

        // Satisfaction (and quality) by week.
        const weeks: ChartBlock = {
            testId: 'chart-satisfaction-weeks',
            title: t('app.reports.satisfaction.weeks_title'),
            file: file('satisfaction-by-week'),
            grid: {
                columns: [
                    t('app.reports.week_of'),
                    ...levelColumns,
                    t('app.reports.satisfaction.answers'),
                    t('app.reports.satisfaction.rate'),
                    t('app.reports.weeks.repairs'),
                    t('app.reports.weeks.reworks'),
                    t('app.reports.weeks.repeats'),
                ],
                rows: r.weekly_quality.map(w => [
                    txt(w.week_of, f.date(w.week_of)),
                    ...levelsRow(w.satisfaction),
                    num(f, w.repairs),
                    num(f, w.reworks),
                    num(f, w.repeats),
                ]),
            },
            option: categoryChart(
                r.weekly_quality.map(w => f.date(w.week_of)),
                [
                    {
                        type: 'bar',
                        name: t('app.reports.satisfaction.answers'),
                        data: r.weekly_quality.map(w => w.satisfaction.answers),
                    },
                    rateLine(
                        t('app.reports.satisfaction.rate'),
                        r.weekly_quality.map(w => w.satisfaction.satisfied_rate ?? null),
                    ),
                ],
            ),
        };

        // Deadlines by promise.
        const promises = Object.keys(r.deadlines).sort();
        const deadlines: ChartBlock = {
            testId: 'chart-deadlines',
            title: t('app.reports.deadlines.title'),
            file: file('deadlines'),
            grid: {
                columns: [
                    t('app.reports.deadlines.promise'),
                    t('app.reports.deadlines.met'),
                    t('app.reports.deadlines.missed'),
                    t('app.reports.deadlines.rate'),
                ],
                rows: promises.map(k => [
                    txt(k, f.label('promise', k)),
                    num(f, r.deadlines[k].met),
                    num(f, r.deadlines[k].missed),
                    pct(f, r.deadlines[k].rate),
                ]),
            },
            option: categoryChart(
                promises.map(k => f.label('promise', k)),
                [
                    {
                        type: 'bar',
                        stack: 'kept',
                        name: t('app.reports.deadlines.met'),
                        itemStyle: { color: '#2e7d32' },
                        data: promises.map(k => r.deadlines[k].met),
                    },
                    {
                        type: 'bar',
                        stack: 'kept',
                        name: t('app.reports.deadlines.missed'),
                        itemStyle: { color: '#e53935' },
                        data: promises.map(k => r.deadlines[k].missed),
                    },
                    rateLine(
                        t('app.reports.deadlines.rate'),
                        promises.map(k => r.deadlines[k].rate ?? null),
                    ),
                ],
            ),
        };

        // Repeat repairs by product.
        const products = Array.from(
            new Set([...Object.keys(r.repairs_by_product), ...Object.keys(r.repeats_by_product)]),
        ).sort();
        const repeatRate = (p: string) => {
            const repairs = r.repairs_by_product[p] ?? 0;
            return repairs > 0 ? (r.repeats_by_product[p] ?? 0) / repairs : null;
        };
        const repeats: ChartBlock = {
            testId: 'chart-repeats',
            title: t('app.reports.repeats.title'),
            file: file('repeat-repairs'),
            grid: {
                columns: [
                    t('app.reports.product'),
                    t('app.reports.repeats.repairs'),
                    t('app.reports.repeats.repeats'),
                    t('app.reports.repeats.rate'),
                ],
                rows: products.map(p => [
                    dat(p),
                    num(f, r.repairs_by_product[p] ?? 0),
                    num(f, r.repeats_by_product[p] ?? 0),
                    pct(f, repeatRate(p)),
                ]),
            },
            option: categoryChart(
                products,
                [
                    {
                        type: 'bar',
                        name: t('app.reports.repeats.repairs'),
                        data: products.map(p => r.repairs_by_product[p] ?? 0),
                    },
                    {
                        type: 'bar',
                        name: t('app.reports.repeats.repeats'),
                        itemStyle: { color: '#e53935' },
                        data: products.map(p => r.repeats_by_product[p] ?? 0),
                    },
                ],
                { yAxis: countAxis },
            ),
        };

        // The service rating.
        const indicators = r.service_rating.indicators;
        const rating: ChartBlock = {
            testId: 'rating',
            title: t('app.reports.rating.title'),
            file: file('service-rating'),
            grid: {
                columns: [
                    t('app.reports.rating.indicator'),
                    t('app.reports.rating.weight'),
                    t('app.reports.rating.rate'),
                    t('app.reports.rating.points'),
                    t('app.reports.rating.inputs'),
                ],
                rows: indicators.map(i => {
                    const inputs = Object.entries(i.inputs);
                    return [
                        txt(i.indicator, f.label('indicator', i.indicator)),
                        num(f, i.weight),
                        pct(f, i.rate),
                        num(f, i.points),
                        {
                            value: inputs.map(([k, v]) => `${k}=${v}`).join('; '),
                            text: inputs.map(([k, v]) => `${f.label('rating_input', k)}: ${f.number(v)}`).join(' · '),
                        },
                    ];
                }),
            },
            option: categoryChart(
                indicators.map(i => f.label('indicator', i.indicator)),
                [
                    {
                        type: 'bar',
                        name: t('app.reports.rating.weight'),
                        itemStyle: { color: '#90a4ae' },
                        data: indicators.map(i => i.weight),
                    },
                    {
                        type: 'bar',
                        name: t('app.reports.rating.points'),
                        data: indicators.map(i => i.points ?? null),
                    },
                ],
                { yAxis: { type: 'value', min: 0 }, right: 24 },
            ),
        };

        return { rating, charts: [returns, satisfaction, weeks, deadlines, repeats] };
    }, [r, f, t]);
}

function ReportView({ r }: { r: Reports }) {
    const translate = useTranslate();
    const f = useFormats();
    const b = useBlocks(r, f, translate);
    const sr = r.service_rating;
    return (
        <Box data-testid="report" data-from={r.period.from} data-to={r.period.to}>
            <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
                {translate('app.reports.period', { from: f.date(r.period.from), to: f.date(r.period.to) })} ·{' '}
                {translate('app.reports.counters_read', { count: f.number(r.counters_read) })}
            </Typography>
            <Block
                block={b.rating}
                height={240}
                figures={
                    <Box sx={{ display: 'flex', gap: 3, alignItems: 'baseline', mb: 1 }}>
                        <Typography variant="h3" component="p" data-testid="rating-score" data-value={sr.score ?? ''}>
                            {sr.score === null || sr.score === undefined
                                ? translate('app.common.none')
                                : f.number(sr.score)}
                        </Typography>
                        <Typography variant="body2" color="text.secondary">
                            {translate('app.reports.rating.score')}
                        </Typography>
                        <Chip
                            label={f.label('rating_level', sr.level)}
                            color={sr.level === 'below_pass' ? 'error' : sr.level === 'unmeasured' ? 'default' : 'success'}
                            data-testid="rating-level"
                            data-value={sr.level}
                        />
                    </Box>
                }
            />
            {b.charts.map(block => (
                <Block key={block.testId} block={block} />
            ))}
        </Box>
    );
}

export default function ReportsPage() {
    const translate = useTranslate();
    const api = useApi();
    const [initialFrom, initialTo] = useMemo(defaultRange, []);
    const [from, setFrom] = useState(initialFrom);
    const [to, setTo] = useState(initialTo);
    const [range, setRange] = useState<[string, string]>([initialFrom, initialTo]);
    const invalid = from > to;
    const report = useQuery({
        queryKey: ['reports', range[0], range[1]],
        queryFn: () => api.reports(range[0], range[1]),
    });
    return (
        <Box sx={{ mt: 1 }} data-testid="reports">
            <Title title="app.reports.title" />
            <Box
                component="form"
                sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap', mb: 2 }}
                onSubmit={e => {
                    e.preventDefault();
                    if (!invalid) setRange([from, to]);
                }}
                aria-label={translate('app.reports.title')}
            >
                <DayField
                    label={translate('app.reports.from')}
                    value={from}
                    onChange={setFrom}
                    testId="reports-from"
                    max={to}
                />
                <DayField
                    label={translate('app.reports.to')}
                    value={to}
                    onChange={setTo}
                    testId="reports-to"
                    min={from}
                />
                <Button type="submit" variant="contained" disabled={invalid || !from || !to} data-testid="reports-apply">
                    {translate('app.reports.apply')}
                </Button>
                {invalid && <Alert severity="warning">{translate('app.reports.invalid_range')}</Alert>}
            </Box>
            {report.isPending && <Typography>{translate('app.common.loading')}</Typography>}
            {report.isError && <ErrorNote error={report.error} />}
            {report.data && <ReportView r={report.data} />}
        </Box>
    );
}
