// Opening what the API gives in a new window: the printable dispatch slip (it needs the
// bearer token, so it is fetched and shown from a Blob URL) and evidence addresses.
import { useNotify } from 'react-admin';
import { useApi } from '../dataProvider';
import { useNotifyProblem } from '../components';

/** An address safe to show or open: http(s) only (never `javascript:` or `data:`). */
export function safeUrl(raw: string): string | null {
    try {
        const url = new URL(raw, window.location.origin);
        return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch {
        return null;
    }
}

export function usePrintSlip(): (caseId: string, lang: 'zh-CN' | 'en') => void {
    const api = useApi();
    const notify = useNotify();
    const notifyProblem = useNotifyProblem();
    return (caseId, lang) => {
        // Opened at the click (pop-up blockers), filled once the slip is here.
        const w = window.open('', '_blank');
        if (!w) {
            notify('app.common.popup_blocked', { type: 'warning' });
        }
        api.slipHtml(caseId, lang)
            .then(html => {
                const url = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
                if (w) {
                    w.opener = null;
                    w.location.href = url;
                }
                window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
            })
            .catch(e => {
                w?.close();
                notifyProblem(e);
            });
    };
}
