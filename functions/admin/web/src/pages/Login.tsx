// The sign-in page: one button that sends the browser to the identity provider (local: the
// gateway's /_dev/sign-in; cognito: the hosted UI with PKCE).
import { useEffect, useState } from 'react';
import { Alert, Box, Button, Card, CardContent, Typography } from '@mui/material';
import LockIcon from '@mui/icons-material/Lock';
import { LocalesMenuButton, useTranslate } from 'react-admin';
import { useLocation, useNavigate } from 'react-router-dom';
import { BASE, currentIdentity, signIn, takeAuthError } from '../auth';

function backPath(state: unknown): string {
    if (typeof state === 'object' && state !== null && 'nextPathname' in state) {
        const next = (state as { nextPathname?: unknown }).nextPathname;
        if (typeof next === 'string' && next.startsWith('/') && !next.startsWith('//')) {
            const search =
                'nextSearch' in state && typeof (state as { nextSearch?: unknown }).nextSearch === 'string'
                    ? (state as { nextSearch: string }).nextSearch
                    : '';
            return BASE + next.slice(1) + search;
        }
    }
    return BASE;
}

export function LoginPage() {
    const translate = useTranslate();
    const location = useLocation();
    const navigate = useNavigate();
    const [error] = useState(() => takeAuthError());
    const [busy, setBusy] = useState(false);

    useEffect(() => {
        if (currentIdentity()) navigate('/', { replace: true });
    }, [navigate]);

    const onSignIn = () => {
        setBusy(true);
        signIn(backPath(location.state)).catch(() => setBusy(false));
    };

    return (
        <Box
            component="main"
            sx={{
                minHeight: '100vh',
                display: 'flex',
                alignItems: 'center',
                justifyContent: 'center',
                bgcolor: 'grey.100',
            }}
        >
            <Card sx={{ width: 380, maxWidth: '90vw' }}>
                <CardContent sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
                    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
                        <LockIcon color="primary" />
                        <Typography variant="h5" component="h1" sx={{ flexGrow: 1 }}>
                            {translate('app.title')}
                        </Typography>
                        <Box data-testid="language-switcher" component="span">
                            <LocalesMenuButton />
                        </Box>
                    </Box>
                    <Typography variant="body2" color="text.secondary">
                        {translate('app.auth.sign_in_hint')}
                    </Typography>
                    {error && (
                        <Alert severity="error" data-testid="sign-in-error">
                            {translate(error)}
                        </Alert>
                    )}
                    <Button
                        variant="contained"
                        size="large"
                        onClick={onSignIn}
                        disabled={busy}
                        data-testid="sign-in"
                    >
                        {translate('app.auth.sign_in')}
                    </Button>
                </CardContent>
            </Card>
        </Box>
    );
}
