// The frame: the app bar (who is signed in, in which role; the language switcher) and the
// menu of what the role may use.
import { useEffect, type ComponentType, type ReactNode } from 'react';
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
import type { OperationId } from './api/roles';
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

// In the menu's order; each shown to the roles its operation admits.
const MENU: { to: string; label: string; icon: ComponentType; testId: string; op: OperationId }[] = [
    { to: '/cases', label: 'app.menu.cases', icon: InboxIcon, testId: 'menu-cases', op: 'listCases' },
    { to: '/returns', label: 'app.menu.returns', icon: AssignmentReturnIcon, testId: 'menu-returns', op: 'returnQueue' },
    { to: '/work-orders', label: 'app.menu.work_orders', icon: BuildIcon, testId: 'menu-work-orders', op: 'listWorkOrders' },
    { to: '/dispatch', label: 'app.menu.dispatch', icon: EventNoteIcon, testId: 'menu-dispatch', op: 'daySheet' },
    { to: '/reports', label: 'app.menu.reports', icon: BarChartIcon, testId: 'menu-reports', op: 'reports' },
    { to: '/policy', label: 'app.menu.policy', icon: PolicyIcon, testId: 'menu-policy', op: 'readPolicy' },
];

const AppMenu = () => {
    const role = useRole();
    return (
        <Menu>
            <Menu.DashboardItem primaryText="app.menu.home" data-testid="menu-home" />
            {MENU.filter(m => can(role, m.op)).map(({ to, label, icon: Icon, testId }) => (
                <Menu.Item key={to} to={to} primaryText={label} leftIcon={<Icon />} data-testid={testId} />
            ))}
        </Menu>
    );
};

export const AppLayout = ({ children }: { children: ReactNode }) => (
    <Layout appBar={AppAppBar} menu={AppMenu}>
        {children}
    </Layout>
);
