// Small pieces the pages share: the time left to a deadline, a section, a day's input, the
// message of a failure in the user's language.
import { useEffect, useState, type ReactNode } from 'react';
import { Alert, Box, Card, CardContent, TextField, Typography } from '@mui/material';
import { useNotify, useTranslate } from 'react-admin';
import { isApiError, problemMessageKey } from './api/client';
import { useFormats } from './i18n';

/** Now, moving every minute (for the time left). */
export function useNow(stepMs = 60_000): number {
    const [now, setNow] = useState(() => Date.now());
    useEffect(() => {
        const timer = window.setInterval(() => setNow(Date.now()), stepMs);
        return () => window.clearInterval(timer);
    }, [stepMs]);
    return now;
}

/** The deadline and the time left, in red once overdue. */
export function TimeLeft({ due, showDate = false }: { due: string; showDate?: boolean }) {
    const now = useNow();
    const translate = useTranslate();
    const f = useFormats();
    const left = Date.parse(due) - now;
    const overdue = left < 0;
    const text =
        Math.abs(left) < 60_000
            ? translate('app.time.now')
            : overdue
              ? translate('app.time.overdue', { time: f.duration(left) })
              : translate('app.time.left', { time: f.duration(left) });
    return (
        <Box
            component="span"
            data-testid="time-left"
            data-overdue={overdue ? 'true' : 'false'}
            sx={{ color: overdue ? 'error.main' : 'text.primary', fontWeight: overdue ? 600 : 400 }}
        >
            {showDate ? `${f.dateTime(due)} · ${text}` : text}
        </Box>
    );
}

export function Section({
    title,
    children,
    testId,
    actions,
}: {
    title: string;
    children: ReactNode;
    testId?: string;
    actions?: ReactNode;
}) {
    return (
        <Card variant="outlined" sx={{ mb: 2 }} data-testid={testId} component="section">
            <CardContent>
                <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 1 }}>
                    <Typography variant="h6" component="h2" sx={{ flexGrow: 1 }}>
                        {title}
                    </Typography>
                    {actions}
                </Box>
                {children}
            </CardContent>
        </Card>
    );
}

/** A day in the browser's time zone, `YYYY-MM-DD` as a date input holds it. */
export function localDay(d = new Date()): string {
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A date input (`YYYY-MM-DD`), bounded by `min` and `max` where given. */
export function DayField({
    label,
    value,
    onChange,
    testId,
    min,
    max,
}: {
    label: string;
    value: string;
    onChange: (day: string) => void;
    testId: string;
    min?: string;
    max?: string;
}) {
    return (
        <TextField
            type="date"
            size="small"
            fullWidth={false}
            label={label}
            value={value}
            onChange={e => onChange(e.target.value)}
            slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': testId, min, max } }}
        />
    );
}

/**
 * Text that comes from the API as it was entered (descriptions, notes, names, addresses):
 * shown as text, never translated, and marked `data-data` so that a check for untranslated
 * labels can tell it from the page's own words.
 */
export function D({ children }: { children: ReactNode }) {
    return (
        <Box component="span" data-data="" sx={{ whiteSpace: 'pre-wrap' }}>
            {children}
        </Box>
    );
}

/** Label / value pairs. */
export function Facts({ rows }: { rows: [string, ReactNode][] }) {
    return (
        <Box
            component="dl"
            sx={{
                display: 'grid',
                gridTemplateColumns: 'minmax(9rem, max-content) 1fr',
                columnGap: 2,
                rowGap: 0.5,
                m: 0,
            }}
        >
            {rows.map(([label, value], i) => (
                <Box key={i} sx={{ display: 'contents' }}>
                    <Box component="dt" sx={{ color: 'text.secondary' }}>
                        {label}
                    </Box>
                    <Box component="dd" sx={{ m: 0, overflowWrap: 'anywhere' }}>
                        {value}
                    </Box>
                </Box>
            ))}
        </Box>
    );
}

/** The message of a failure in the user's language: the rule's translation where the
 * catalogue has one, else the API's detail. */
export function useProblemText(): (e: unknown) => string {
    const translate = useTranslate();
    return (e: unknown) => {
        if (isApiError(e)) {
            const key = problemMessageKey(e.problem);
            return translate(key, { _: e.problem.detail });
        }
        if (e instanceof Error) return translate(e.message, { _: e.message });
        return String(e);
    };
}

/** Notifies a failure (a refusal shows why). */
export function useNotifyProblem(): (e: unknown) => void {
    const notify = useNotify();
    const text = useProblemText();
    return (e: unknown) => {
        const message = text(e);
        notify(message, { type: 'error', messageArgs: { _: message } });
    };
}

export function ErrorNote({ error }: { error: unknown }) {
    const translate = useTranslate();
    const text = useProblemText();
    return (
        <Alert severity="error" data-testid="error">
            {translate('app.common.error', { message: text(error) })}
        </Alert>
    );
}
