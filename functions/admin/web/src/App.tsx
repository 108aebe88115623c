// The app: react-admin on a browser router under /admin/ (the server answers index.html
// for any /admin/* path). Resources and pages are those the signed-in role may use.
import { lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { createBrowserRouter, Route, RouterProvider } from 'react-router-dom';
import { Admin, CustomRoutes, Loading, localStorageStore, Resource, useTranslate } from 'react-admin';
import { authProvider, BASE, type Role } from './auth';
import { dataProvider } from './dataProvider';
import { i18nProvider } from './i18n';
import { AppLayout } from './Layout';
import { LoginPage } from './pages/Login';
import { Home } from './pages/Home';
import { CaseList, ReturnList, WorkOrderList } from './pages/Queues';
import { can } from './permissions';

// Pages off the first screen load on demand (the reports carry ECharts).
const CaseShow = lazy(() => import('./pages/CaseShow'));
const Dispatch = lazy(() => import('./pages/Dispatch'));
const Reports = lazy(() => import('./pages/Reports'));
const Policy = lazy(() => import('./pages/Policy'));

function Deferred({ children }: { children: ReactNode }) {
    return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

function deferred(Page: ComponentType): ComponentType {
    const Wrapped = () => (
        <Deferred>
            <Page />
        </Deferred>
    );
    return Wrapped;
}

const CaseShowPage = deferred(CaseShow);

const store = localStorageStore(undefined, 'aftersales-admin');

function resources(role: Role) {
    if (role === 'customer') return null;
    return (
        <>
            <Resource
                name="cases"
                list={can(role, 'listCases') ? CaseList : undefined}
                show={can(role, 'readCase') ? CaseShowPage : undefined}
                recordRepresentation="id"
            />
            {can(role, 'returnQueue') && <Resource name="returns" list={ReturnList} />}
            {can(role, 'listWorkOrders') && <Resource name="work-orders" list={WorkOrderList} />}
            <CustomRoutes>
                {can(role, 'daySheet') && (
                    <Route
                        path="/dispatch"
                        element={
                            <Deferred>
                                <Dispatch />
                            </Deferred>
                        }
                    />
                )}
                {can(role, 'reports') && (
                    <Route
                        path="/reports"
                        element={
                            <Deferred>
                                <Reports />
                            </Deferred>
                        }
                    />
                )}
                {can(role, 'readPolicy') && (
                    <Route
                        path="/policy"
                        element={
                            <Deferred>
                                <Policy />
                            </Deferred>
                        }
                    />
                )}
            </CustomRoutes>
        </>
    );
}

// The default page title (react-admin shows it untranslated: a component translates it).
function AppTitle() {
    const translate = useTranslate();
    return <>{translate('app.title')}</>;
}

function AdminApp() {
    return (
        <Admin
            title={<AppTitle />}
            dataProvider={dataProvider}
            authProvider={authProvider}
            i18nProvider={i18nProvider}
            store={store}
            layout={AppLayout}
            loginPage={LoginPage}
            dashboard={Home}
            requireAuth
            disableTelemetry
        >
            {(permissions: Role) => resources(permissions)}
        </Admin>
    );
}

// The router carries the /admin base: react-admin's own paths (/cases, /login...) are
// relative to it.
const router = createBrowserRouter([{ path: '*', element: <AdminApp /> }], {
    basename: BASE.replace(/\/$/, ''),
});

export default function App() {
    return <RouterProvider router={router} />;
}
