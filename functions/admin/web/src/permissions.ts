// What a role is shown: the operations whose `x-roles` (shared/openapi.json, generated into
// src/api/roles.ts) admit it, and for the operations whose body names a step (`action`),
// the steps the operation's description gives each role. Only a hint for the page: the API
// decides, and its refusal is shown.
import { operations, type OperationId } from './api/roles';
import type { Role } from './auth';

export function can(role: Role | undefined, op: OperationId): boolean {
    // This page is for staff: a customer is shown nothing but the staff-only message.
    if (!role || role === 'customer') return false;
    const roles: readonly string[] | null = operations[op].roles;
    return roles === null || roles.includes(role);
}

type StepOp = 'returnStep' | 'workStep' | 'handleComplaint';

// Staff roles per step (the customer's own steps are the customer app's).
const STEPS: Record<StepOp, Record<string, readonly Role[]>> = {
    returnStep: {
        approve: ['agent', 'reviewer', 'manager', 'admin'],
        reject: ['agent', 'reviewer', 'manager', 'admin'],
        approve_scrap: ['agent', 'reviewer', 'manager', 'admin'],
        resubmit: ['agent'],
        escalate: ['agent'],
        ship: ['agent'],
        receive: ['warehouse'],
        reship: ['warehouse'],
        inspect: ['quality'],
        execute_refund: ['finance'],
        cancel: ['agent', 'reviewer', 'manager'],
    },
    workStep: {
        open: ['agent', 'dispatcher', 'manager'],
        book: ['agent', 'dispatcher', 'manager'],
        cancel_booking: ['agent', 'dispatcher', 'manager'],
        start: ['technician'],
        set_status: ['technician', 'dispatcher'],
        propose_change: ['technician'],
        answer_change: ['agent'],
        use_part: ['technician'],
        finish: ['technician'],
        inspect: ['quality'],
    },
    handleComplaint: {
        answer: ['agent', 'manager'],
        resolve: ['agent', 'manager'],
    },
};

export const RETURN_STEPS = Object.keys(STEPS.returnStep);
export const WORK_STEPS = Object.keys(STEPS.workStep);
export const COMPLAINT_STEPS = Object.keys(STEPS.handleComplaint);

/** The operation admits the role, and the step is one this role takes. */
export function canStep(role: Role | undefined, op: StepOp, action: string): boolean {
    if (!role || !can(role, op)) return false;
    return STEPS[op][action]?.includes(role) ?? false;
}
