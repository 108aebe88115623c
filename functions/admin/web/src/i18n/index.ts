// The i18n provider (zh-CN and en, from the browser's language, switchable in the app bar)
// and the formats of dates, amounts and durations in the chosen language; an enum's values
// as a select's choices, each named by its label's key.
import { useMemo } from 'react';
import polyglotI18nProvider from 'ra-i18n-polyglot';
import { useLocaleState, useTranslate } from 'react-admin';
import en from './en';
import zh from './zh';
import { setKnownProblemKeys } from '../api/client';

export type Locale = 'en' | 'zh-CN';

// A language is named in itself, whatever the page's language.
const LOCALES: { locale: Locale; name: string }[] = [
    { locale: 'zh-CN', name: '中文' },
    { locale: 'en', name: 'English' },
];

export function browserLocale(): Locale {
    const languages = navigator.languages?.length ? navigator.languages : [navigator.language];
    for (const l of languages) {
        const lower = (l ?? '').toLowerCase();
        if (lower.startsWith('zh')) return 'zh-CN';
        if (lower.startsWith('en')) return 'en';
    }
    return 'en';
}

export const i18nProvider = polyglotI18nProvider(
    locale => (locale === 'zh-CN' ? zh : en),
    browserLocale(),
    LOCALES,
    { allowMissing: true },
);

setKnownProblemKeys(
    new Set([
        ...Object.keys(en.app.rules).map(k => `app.rules.${k}`),
        ...Object.keys(en.app.problems).map(k => `app.problems.${k}`),
    ]),
);

/** The catalogue has this key (both have the same tree). */
export function hasKey(key: string): boolean {
    let node: unknown = en;
    for (const part of key.split('.')) {
        if (typeof node !== 'object' || node === null) return false;
        node = (node as Record<string, unknown>)[part];
    }
    return typeof node === 'string';
}

/** The ISO 4217 minor unit digits of a currency (CNY: 2, JPY: 0). */
export function minorDigits(currency: string): number {
    try {
        return (
            new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
                .maximumFractionDigits ?? 2
        );
    } catch {
        return 2;
    }
}

export function toMinor(major: number, currency: string): number {
    return Math.round(major * 10 ** minorDigits(currency));
}

/** An enum's values as a select's choices, named `app.<group>.<value>` (as `label` shows them). */
export function choices(group: string, values: readonly string[]): { id: string; name: string }[] {
    return values.map(v => ({ id: v, name: `app.${group}.${v}` }));
}

export type Formats = {
    locale: Locale;
    dateTime: (iso: string | null | undefined) => string;
    date: (isoDate: string | null | undefined) => string;
    time: (iso: string | null | undefined) => string;
    money: (minor: number | null | undefined, currency: string) => string;
    number: (n: number | null | undefined) => string;
    percent: (rate: number | null | undefined) => string;
    kilobytes: (bytes: number) => string;
    duration: (ms: number) => string;
    /** An enum value's label: `app.<group>.<value>`, else the value itself. */
    label: (group: string, value: string | null | undefined) => string;
};

export function useFormats(): Formats {
    const [locale] = useLocaleState();
    const translate = useTranslate();
    return useMemo(() => {
        const l: Locale = locale === 'zh-CN' ? 'zh-CN' : 'en';
        const none = translate('app.common.none');
        const dateTimeFormat = new Intl.DateTimeFormat(l, {
            dateStyle: 'medium',
            timeStyle: 'short',
        });
        const timeFormat = new Intl.DateTimeFormat(l, { timeStyle: 'short' });
        // A calendar date (YYYY-MM-DD) is the merchant's day: shown as is, in UTC.
        const dateFormat = new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeZone: 'UTC' });
        const numberFormat = new Intl.NumberFormat(l);
        const percentFormat = new Intl.NumberFormat(l, {
            style: 'percent',
            maximumFractionDigits: 1,
        });
        const unit = (n: number, u: 'day' | 'hour' | 'minute') =>
            new Intl.NumberFormat(l, { style: 'unit', unit: u, unitDisplay: 'short' }).format(n);
        return {
            locale: l,
            dateTime: iso => (iso ? dateTimeFormat.format(new Date(iso)) : none),
            date: d => (d ? dateFormat.format(new Date(`${d.slice(0, 10)}T00:00:00Z`)) : none),
            time: iso => (iso ? timeFormat.format(new Date(iso)) : none),
            money: (minor, currency) => {
                if (minor === null || minor === undefined) return none;
                const digits = minorDigits(currency);
                try {
                    return new Intl.NumberFormat(l, { style: 'currency', currency }).format(
                        minor / 10 ** digits,
                    );
                } catch {
                    return `${numberFormat.format(minor / 10 ** digits)} ${currency}`;
                }
            },
            number: n => (n === null || n === undefined ? none : numberFormat.format(n)),
            percent: r => (r === null || r === undefined ? none : percentFormat.format(r)),
            kilobytes: bytes =>
                new Intl.NumberFormat(l, {
                    style: 'unit',
                    unit: 'kilobyte',
                    maximumFractionDigits: 0,
                }).format(Math.max(1, Math.round(bytes / 1024))),
            duration: ms => {
                const minutes = Math.floor(Math.abs(ms) / 60_000);
                const days = Math.floor(minutes / 1440);
                const hours = Math.floor((minutes % 1440) / 60);
                const mins = minutes % 60;
                if (days > 0) return hours > 0 ? `${unit(days, 'day')} ${unit(hours, 'hour')}` : unit(days, 'day');
                if (hours > 0) return mins > 0 ? `${unit(hours, 'hour')} ${unit(mins, 'minute')}` : unit(hours, 'hour');
                return unit(mins, 'minute');
            },
            label: (group, value) => {
                if (value === null || value === undefined || value === '') return none;
                const key = `app.${group}.${value}`;
                return hasKey(key) ? translate(key) : value;
            },
        };
    }, [locale, translate]);
}
