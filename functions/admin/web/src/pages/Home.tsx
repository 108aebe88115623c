// The first page after signing in: a greeting, or for a person without a staff role the
// message that this page is for staff only.
import { Alert, AlertTitle, Box, Button, Card, CardContent, Typography } from '@mui/material';
import { Title, useLogout, useTranslate } from 'react-admin';
import { currentIdentity } from '../auth';

export function Home() {
    const translate = useTranslate();
    const logout = useLogout();
    const identity = currentIdentity();
    if (!identity) return null;
    if (identity.role === 'customer') {
        return (
            <Box sx={{ mt: 2 }}>
                <Title title="app.auth.staff_only" />
                <Alert
                    severity="warning"
                    data-testid="staff-only"
                    action={
                        <Button color="inherit" onClick={() => logout()} data-testid="sign-out-staff-only">
                            {translate('app.auth.sign_out')}
                        </Button>
                    }
                >
                    <AlertTitle>{translate('app.auth.staff_only')}</AlertTitle>
                    {translate('app.auth.staff_only_hint')}
                </Alert>
            </Box>
        );
    }
    return (
        <Card sx={{ mt: 2 }} data-testid="home">
            <Title title="app.menu.home" />
            <CardContent>
                <Typography variant="h5" component="h1" gutterBottom>
                    {translate('app.home.welcome', { name: identity.name })}
                </Typography>
                <Typography variant="body1">
                    {translate('app.home.hint', { role: translate(`app.role.${identity.role}`) })}
                </Typography>
            </CardContent>
        </Card>
    );
}
