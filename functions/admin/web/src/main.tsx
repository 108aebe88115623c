import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { completeSignIn, loadConfig } from './auth';
import { i18nProvider } from './i18n';
import App from './App';

const container = document.getElementById('root');
if (!container) throw new Error('no #root');
const root = createRoot(container);

function fatal(key: string): void {
    // Before react-admin is up: its i18n provider alone (no markup from a string).
    const message = document.createElement('p');
    message.setAttribute('role', 'alert');
    message.setAttribute('data-testid', 'fatal');
    message.style.font = '16px system-ui, sans-serif';
    message.style.padding = '2rem';
    message.textContent = i18nProvider.translate(key);
    container?.replaceChildren(message);
}

async function start(): Promise<void> {
    try {
        await loadConfig();
    } catch {
        fatal('app.auth.config_failed');
        return;
    }
    try {
        await completeSignIn();
    } catch {
        // A failed exchange leaves no token: the sign-in page says so.
    }
    document.title = i18nProvider.translate('app.title');
    root.render(
        <StrictMode>
            <App />
        </StrictMode>,
    );
}

void start();
