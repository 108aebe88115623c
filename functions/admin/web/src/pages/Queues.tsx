// The queues: the case queue (GET /v1/cases), the return queues by stage (GET /v1/returns)
// and the work orders (GET /v1/work-orders), earliest deadline first (the case queue for an
// open status: it opens on `submitted`; other statuses list newest first), cursor-paged.
import type { ReactElement } from 'react';
import { Box, Button, MenuItem, TextField as MuiTextField, Toolbar, Typography } from '@mui/material';
import FirstPageIcon from '@mui/icons-material/FirstPage';
import NavigateBeforeIcon from '@mui/icons-material/NavigateBefore';
import NavigateNextIcon from '@mui/icons-material/NavigateNext';
import {
    BooleanInput,
    Datagrid,
    DateInput,
    DatagridBody,
    DatagridRow,
    FunctionField,
    List,
    required,
    SelectInput,
    TextInput,
    useListContext,
    useTranslate,
    type DatagridRowProps,
} from 'react-admin';
import { D, TimeLeft } from '../components';
import { CASE_STATUSES, CASE_TYPES, deadlineOf, STAGES, type CaseSummary } from '../dataProvider';
import { choices, useFormats } from '../i18n';

const PAGE_SIZES = [10, 25, 50, 100];

/** Cursor paging: first, previous and next page (the API gives no total). */
export function CursorPagination() {
    const translate = useTranslate();
    const { page, setPage, hasNextPage, hasPreviousPage, perPage, setPerPage, isPending } =
        useListContext();
    return (
        <Toolbar
            data-testid="pager"
            sx={{ justifyContent: 'flex-end', gap: 1, flexWrap: 'wrap' }}
            component="nav"
            aria-label={translate('app.queue.page', { page })}
        >
            <MuiTextField
                select
                size="small"
                label={translate('app.queue.per_page')}
                value={perPage}
                onChange={e => setPerPage(Number(e.target.value))}
                fullWidth={false}
                sx={{ width: 140, mr: 'auto' }}
                slotProps={{ htmlInput: { 'data-testid': 'page-size' } }}
            >
                {PAGE_SIZES.map(n => (
                    <MenuItem key={n} value={n}>
                        {n}
                    </MenuItem>
                ))}
            </MuiTextField>
            <Button
                startIcon={<FirstPageIcon />}
                disabled={isPending || page <= 1}
                onClick={() => setPage(1)}
                data-testid="page-first"
            >
                {translate('app.queue.first_page')}
            </Button>
            <Button
                startIcon={<NavigateBeforeIcon />}
                disabled={isPending || !hasPreviousPage || page <= 1}
                onClick={() => setPage(page - 1)}
                data-testid="page-prev"
            >
                {translate('app.queue.previous_page')}
            </Button>
            <Typography variant="body2" data-testid="page-number" aria-live="polite">
                {translate('app.queue.page', { page })}
            </Typography>
            <Button
                endIcon={<NavigateNextIcon />}
                disabled={isPending || !hasNextPage}
                onClick={() => setPage(page + 1)}
                data-testid="page-next"
            >
                {translate('app.queue.next_page')}
            </Button>
        </Toolbar>
    );
}

const QueueRow = (props: DatagridRowProps) => (
    <DatagridRow {...props} data-testid={`queue-row-${String(props.id)}`} />
);

function Empty() {
    const translate = useTranslate();
    return (
        <Box sx={{ p: 2 }} data-testid="queue-empty">
            <Typography>{translate('app.queue.empty')}</Typography>
        </Box>
    );
}

function QueueGrid({
    children,
    testId,
}: {
    children: ReactElement | ReactElement[];
    testId: string;
}) {
    return (
        <Datagrid
            bulkActionButtons={false}
            rowClick={id => `/cases/${encodeURIComponent(String(id))}/show`}
            body={<DatagridBody row={<QueueRow />} />}
            empty={<Empty />}
            data-testid={testId}
            rowSx={record =>
                Date.parse(deadlineOf(record as CaseSummary)) < Date.now()
                    ? { backgroundColor: 'rgba(211, 47, 47, 0.06)' }
                    : {}
            }
        >
            {children}
        </Datagrid>
    );
}

function Label({ group, value }: { group: string; value: string | null | undefined }) {
    const f = useFormats();
    return <>{f.label(group, value)}</>;
}

function Deadline({ record }: { record: CaseSummary }) {
    const f = useFormats();
    const due = deadlineOf(record);
    return (
        <Box sx={{ display: 'flex', flexDirection: 'column' }}>
            <span>{f.dateTime(due)}</span>
            <TimeLeft due={due} />
        </Box>
    );
}

const idColumn = (
    <FunctionField<CaseSummary>
        label="resources.cases.fields.id"
        sortable={false}
        render={r => (
            <Box component="span" sx={{ fontFamily: 'monospace' }} data-testid="case-number">
                {r.id}
            </Box>
        )}
    />
);

const caseFilters = [
    <SelectInput key="status" source="status" choices={choices('status', CASE_STATUSES)} alwaysOn />,
    <SelectInput key="type" source="type" choices={choices('type', CASE_TYPES)} alwaysOn />,
    <TextInput key="customer_id" source="customer_id" />,
    <DateInput key="from" source="from" />,
    <DateInput key="to" source="to" />,
];

export const CaseList = () => (
    <List
        title="app.menu.cases"
        filters={caseFilters}
        filterDefaultValues={{ status: 'submitted' }}
        pagination={<CursorPagination />}
        perPage={25}
        sort={{ field: 'deadline', order: 'ASC' }}
        exporter={false}
        empty={false}
    >
        <QueueGrid testId="case-queue">
            {idColumn}
            <FunctionField<CaseSummary>
                label="resources.cases.fields.type"
                sortable={false}
                render={r => <Label group="type" value={r.type} />}
            />
            <FunctionField<CaseSummary>
                label="resources.cases.fields.status"
                sortable={false}
                render={r => <Label group="status" value={r.status} />}
            />
            <FunctionField<CaseSummary>
                source="title"
                sortable={false}
                render={r => <D>{r.title}</D>}
            />
            <FunctionField<CaseSummary>
                label="resources.cases.fields.priority"
                sortable={false}
                render={r => <Label group="priority" value={r.priority} />}
            />
            <FunctionField<CaseSummary>
                label="resources.cases.fields.deadline"
                sortable={false}
                render={r => <Deadline record={r} />}
            />
        </QueueGrid>
    </List>
);

const returnFilters = [
    <SelectInput
        key="stage"
        source="stage"
        choices={choices('stage', STAGES)}
        alwaysOn
        validate={required()}
    />,
];

/** A return's stage, and what the storefront refused of it (finance's to ask again or settle). */
function StageCell({ r }: { r: CaseSummary }) {
    const translate = useTranslate();
    return (
        <>
            <Label group="stage" value={r.return_stage} />
            {r.writeback_failed && (
                <Typography
                    component="span"
                    variant="caption"
                    color="error"
                    sx={{ display: 'block' }}
                    data-testid="writeback-failed"
                >
                    {translate('app.event.storefront_refused')}:{' '}
                    <Label group="writeback_step" value={r.writeback_failed} />
                </Typography>
            )}
        </>
    );
}

export const ReturnList = () => (
    <List
        title="app.menu.returns"
        filters={returnFilters}
        actions={false}
        filterDefaultValues={{ stage: 'awaiting_decision' }}
        pagination={<CursorPagination />}
        perPage={25}
        sort={{ field: 'deadline', order: 'ASC' }}
        exporter={false}
        empty={false}
    >
        <QueueGrid testId="return-queue">
            {idColumn}
            <FunctionField<CaseSummary>
                label="resources.returns.fields.type"
                sortable={false}
                render={r => <Label group="type" value={r.type} />}
            />
            <FunctionField<CaseSummary>
                label="resources.returns.fields.stage"
                sortable={false}
                render={r => <StageCell r={r} />}
            />
            <FunctionField<CaseSummary>
                source="title"
                sortable={false}
                render={r => <D>{r.title}</D>}
            />
            <FunctionField<CaseSummary>
                label="resources.returns.fields.priority"
                sortable={false}
                render={r => <Label group="priority" value={r.priority} />}
            />
            <FunctionField<CaseSummary>
                label="resources.returns.fields.required_level"
                sortable={false}
                render={r => <Label group="role" value={r.required_level} />}
            />
            <FunctionField<CaseSummary>
                label="resources.returns.fields.deadline"
                sortable={false}
                render={r => <Deadline record={r} />}
            />
        </QueueGrid>
    </List>
);

const workOrderFilters = [
    <BooleanInput key="late" source="late" alwaysOn />,
    <TextInput key="technician" source="technician" />,
];

export const WorkOrderList = () => (
    <List
        title="app.menu.work_orders"
        filters={workOrderFilters}
        pagination={<CursorPagination />}
        perPage={25}
        sort={{ field: 'deadline', order: 'ASC' }}
        exporter={false}
        empty={false}
    >
        <QueueGrid testId="work-order-queue">
            {idColumn}
            <FunctionField<CaseSummary>
                label="resources.work-orders.fields.type"
                sortable={false}
                render={r => <Label group="type" value={r.type} />}
            />
            <FunctionField<CaseSummary>
                label="resources.work-orders.fields.board"
                sortable={false}
                render={r => <Label group="board" value={r.work?.board} />}
            />
            <FunctionField<CaseSummary>
                source="title"
                sortable={false}
                render={r => <D>{r.title}</D>}
            />
            <FunctionField<CaseSummary>
                label="resources.work-orders.fields.technician"
                sortable={false}
                render={r => <D>{r.work?.technician ?? r.assignee ?? ''}</D>}
            />
            <FunctionField<CaseSummary>
                label="resources.work-orders.fields.deadline"
                sortable={false}
                render={r => <Deadline record={r} />}
            />
        </QueueGrid>
    </List>
);
