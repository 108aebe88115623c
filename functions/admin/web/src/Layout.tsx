// The frame: the app bar (who is signed in, in which role; the language switcher) and the
// menu of what the role may use.
import { useEffect, type ReactNode } from 'react';
import { Box, Typography } from '@mui/material';
import InboxIcon from '@mui/icons-material/Inbox';
import AssignmentReturnIcon from '@mui/icons-material/AssignmentReturn';
import BuildIcon from '@mui/icons-material/Build';
import EventNoteIcon from '@mui/icons-material/EventNote';
import BarChartIcon from '@mui/icons-material/BarChart';
import PolicyIcon from '@mui/icons-material/Policy';
import {
    AppBar,
    Layout,
    LoadingIndicator,
    LocalesMenuButton,
    Logout,
    Menu,
    TitlePortal,
    UserMenu,
    useLocaleState,
    useTranslate,
} from 'react-admin';
import { currentIdentity, type Role } from './auth';
import { can } from './permissions';

/** The signed-in role (read from the token; the API still decides). */
export function useRole(): Role | undefined {
    return currentIdentity()?.role;
}

function WhoAmI() {
    const translate = useTranslate();
    const identity = currentIdentity();
    if (!identity) return null;
    return (
        <Typography
            variant="body2"
            data-testid="whoami"
            data-role={identity.role}
            sx={{ mx: 1, whiteSpace: 'nowrap', display: { xs: 'none', sm: 'block' } }}
        >
            {translate('app.auth.signed_in_as', {
                name: identity.name,
                role: translate(`app.role.${identity.role}`),
            })}
        </Typography>
    );
}

function LanguageSwitcher() {
    return (
        <Box data-testid="language-switcher" component="span">
            <LocalesMenuButton />
        </Box>
    );
}

function DocumentLanguage() {
    const [locale] = useLocaleState();
    const translate = useTranslate();
    useEffect(() => {
        document.documentElement.lang = locale;
        document.title = translate('app.title');
    }, [locale, translate]);
    return null;
}

const AppUserMenu = () => (
    <UserMenu>
        <Logout data-testid="sign-out" />
    </UserMenu>
);

const AppAppBar = () => (
    <AppBar
        userMenu={<AppUserMenu />}
        toolbar={
            <>
                <WhoAmI />
                <LanguageSwitcher />
                <LoadingIndicator />
            </>
        }
    >
        <TitlePortal />
        <DocumentLanguage />
    </AppBar>
);

const AppMenu = () => {
    const role = useRole();
    return (
        <Menu>
            <Menu.DashboardItem primaryText="app.menu.home" data-testid="menu-home" />
            {can(role, 'listCases') && (
                <Menu.Item
                    to="/cases"
                    primaryText="app.menu.cases"
                    leftIcon={<InboxIcon />}
                    data-testid="menu-cases"
                />
            )}
            {can(role, 'returnQueue') && (
                <Menu.Item
                    to="/returns"
                    primaryText="app.menu.returns"
                    leftIcon={<AssignmentReturnIcon />}
                    data-testid="menu-returns"
                />
            )}
            {can(role, 'listWorkOrders') && (
                <Menu.Item
                    to="/work-orders"
                    primaryText="app.menu.work_orders"
                    leftIcon={<BuildIcon />}
                    data-testid="menu-work-orders"
                />
            )}
            {can(role, 'daySheet') && (
                <Menu.Item
                    to="/dispatch"
                    primaryText="app.menu.dispatch"
                    leftIcon={<EventNoteIcon />}
                    data-testid="menu-dispatch"
                />
            )}
            {can(role, 'reports') && (
                <Menu.Item
                    to="/reports"
                    primaryText="app.menu.reports"
                    leftIcon={<BarChartIcon />}
                    data-testid="menu-reports"
                />
            )}
            {can(role, 'readPolicy') && (
                <Menu.Item
                    to="/policy"
                    primaryText="app.menu.policy"
                    leftIcon={<PolicyIcon />}
                    data-testid="menu-policy"
                />
            )}
        </Menu>
    );
};

export const AppLayout = ({ children }: { children: ReactNode }) => (
    <Layout appBar={AppAppBar} menu={AppMenu}>
        {children}
    </Layout>
);
