//! Dispatch (DOMAIN §5): a technician at the customer's door at a promised hour.
//!
//! | route                                  | who                                                  |
//! |----------------------------------------|------------------------------------------------------|
//! | `POST /v1/cases/{id}/work`             | the step named by `action` (the access table's `Work` rows): customer service or the dispatcher open and book, the customer books from the times offered and answers changes, the assigned technician starts, moves, changes, uses parts and finishes, quality inspects |
//! | `GET  /v1/cases/{id}/suggestions`      | customer service, the dispatcher: who fits, ranked    |
//! | `GET  /v1/cases/{id}/times`            | the customer (their own case), customer service, the dispatcher |
//! | `GET  /v1/cases/{id}/work/code`        | the customer alone: the code that confirms the work   |
//! | `GET  /v1/cases/{id}/slip` (`/print`)  | customer service, the dispatcher, the assigned technician |
//! | `GET  /v1/work-orders`                 | staff: the board; a technician: their own            |
//! | `GET  /v1/dispatch/day`                | the capacity sheet (预约能力分析表)                    |
//! | `GET  /v1/dispatch/report`             | late visits and repeat repairs by technician and product |
//! | `GET/PUT /v1/technicians`, `/v1/tools` | the dispatcher and the admin keep them; tools are lent once |
//!
//! Every step of a work order is a versioned change of its case (one transaction, its event on
//! the timeline); a booking holds the technician's slots by conditional puts in that same
//! transaction, so two bookings of one time never both succeed.

pub mod people;
pub mod slip;
pub mod work;

use aftersales::domain::access::{Action, WorkAction};
use aftersales::domain::case::CaseSummary;
use aftersales::domain::case::work::WorkCommand;
use aftersales::domain::dispatch::Offer;
use aftersales::http::contract::{Docs, RoutesOnly};
use aftersales::http::{Api, CaseView, Op, examples, problem};
use aftersales::store::{ProductStats, TechnicianRecord, Tool};
use axum::Router;
use axum::routing::{get, post, put};
use serde_json::json;

/// What every handler shares: built once per process.
pub use aftersales::http::App as AppState;

/// The function's router as its Lambda serves it: its routes, and problem+json 404s.
pub fn router(state: AppState) -> Router {
    routes(state).fallback(problem::not_found)
}

/// The function's routes alone, to merge with others' behind one gateway.
pub fn routes(state: AppState) -> Router {
    api::<RoutesOnly>().into_parts().0.with_state(state)
}

const CASE: (&str, &str, &str) = ("id", "The case number", "AS2611-2012345678");

fn technician_record() -> serde_json::Value {
    serde_json::to_value(TechnicianRecord {
        technician: examples::technician(),
        version: 3,
        stats: aftersales::store::TechnicianStats {
            repairs: 41,
            late: 2,
            repeats: 1,
        },
    })
    .unwrap_or_default()
}

fn tool() -> serde_json::Value {
    json!({"code": "ESD-01", "name": "ESD workstation kit", "lent_to": "tech-wang", "lent_at": "2026-11-20T01:30:00Z"})
}

/// The function's routes, each with its operation in the published contract (built only
/// `WithDocs`: a Lambda's router is `RoutesOnly`).
pub fn api<D: Docs>() -> Api<AppState, D> {
    let steps = WorkAction::ALL.map(Action::Work);
    Api::new()
        .post(
            "/v1/cases/{id}/work",
            post(work::step),
            || Op::new("workStep", "Take one step of a case's work order")
                .tag("dispatch")
                .describe("The `action` names the step: `open` (customer service, the dispatcher: the promise starts, on site within the contract's hours for the customer's area, or in the workshop within working days), `book` (a visit on a technician's slots; staff may name the technician, the customer picks a time from `/times`; a time taken meanwhile is a 409 `slot-taken`), `cancel_booking`, `start`, `set_status` (在修 待料 机加工 等待答复 停工), `propose_change` and `answer_change` (服务项目更改登记: the customer confirms), `use_part`, `finish` (on site the customer's code confirms the work; a wrong code is counted and after the policy's attempts the code is renewed), `inspect` (出店检验; failed: a rework). Another technician's work order is a 404.")
                .allowed(&steps)
                .path_param(CASE.0, CASE.1, CASE.2)
                .body::<WorkCommand>(true, examples::open_work())
                .answers::<CaseView>(200, "The case after the step, with its timeline", examples::work_case_view())
                .refuses(&[404, 409, 422]),
        )
        .get(
            "/v1/cases/{id}/suggestions",
            get(work::suggestions),
            || Op::new("suggestTechnicians", "The technicians who fit a visit, ranked")
                .tag("dispatch")
                .describe("Those with the skill, serving the district, free long enough before the promise on `date`: the earliest free start first, then the lightest day, then the nearest band.")
                .allowed(&[Action::Suggest])
                .path_param(CASE.0, CASE.1, CASE.2)
                .query::<work::DayParams>()
                .answers_list::<work::Suggested>("Ranked", json!([{"technician": "tech-wang", "name": "Wang Qiang", "start": "2026-11-20T03:00:00Z", "load": 1, "band": "city"}]))
                .refuses(&[404, 409]),
        )
        .get(
            "/v1/cases/{id}/times",
            get(work::times),
            || Op::new("offeredTimes", "The times a visit may be booked at")
                .tag("dispatch")
                .describe("Starts on the slot grid of `date` at which a technician who fits is free, with how many are. Nothing about anyone else's visits.")
                .allowed(&[Action::OfferedTimes])
                .path_param(CASE.0, CASE.1, CASE.2)
                .query::<work::DayParams>()
                .answers_list::<Offer>("The times, earliest first", json!([{"start": "2026-11-20T03:00:00Z", "end": "2026-11-20T04:30:00Z", "technicians": 2}]))
                .link(200, "workStep", &[("id", "$request.path.id")])
                .refuses(&[404, 409]),
        )
        .get(
            "/v1/cases/{id}/work/code",
            get(work::code),
            || Op::new("workCode", "The customer's code that confirms the work")
                .tag("dispatch")
                .describe("Shown in the customer's app while the technician is at work; the technician enters it to finish. Nobody else reads it.")
                .allowed(&[Action::ReadWorkCode])
                .path_param(CASE.0, CASE.1, CASE.2)
                .answers::<work::WorkCode>(200, "The code", json!({"code": "482913", "issued_at": "2026-11-20T03:05:00Z"}))
                .refuses(&[404, 409]),
        )
        .get(
            "/v1/cases/{id}/slip",
            get(slip::json),
            || Op::new("dispatchSlip", "The dispatch slip (售后人员派遣单)")
                .tag("dispatch")
                .allowed(&[Action::ReadSlip])
                .path_param(CASE.0, CASE.1, CASE.2)
                .answers::<slip::Slip>(200, "The slip", json!({
                    "case_id": "AS2611-2012345678", "kind": "on_site", "customer": "Li Lei", "phone": "13800138000",
                    "address": "1 Jiefang Road, Wuhan", "district": "420102", "technician": "tech-wang", "technician_name": "Wang Qiang",
                    "arrival_start": "2026-11-20T03:00:00Z", "arrival_end": "2026-11-20T04:30:00Z", "expected_minutes": 90,
                    "due": "2026-11-21T02:00:00Z", "service": ["Replace the power board"], "product": "TV-55X", "serial_number": "SN0012345",
                    "fault_described": "The picture flickers after ten minutes.", "tools": ["ESD kit"], "parts_to_bring": ["PB-55X power board"],
                    "currency": "CNY", "cash_advance_minor": 20000, "balance_due_minor": 15000
                }))
                .refuses(&[404, 409]),
        )
        .get(
            "/v1/cases/{id}/slip/print",
            get(slip::print),
            || Op::new("printDispatchSlip", "The dispatch slip as a page to print, in Chinese or English")
                .tag("dispatch")
                .allowed(&[Action::ReadSlip])
                .path_param(CASE.0, CASE.1, CASE.2)
                .query::<slip::PrintParams>()
                .answers_html("The printable slip")
                .refuses(&[404, 409]),
        )
        .get(
            "/v1/work-orders",
            get(work::work_orders),
            || Op::new("listWorkOrders", "Open work orders, earliest promise first")
                .tag("dispatch")
                .describe("The board: staff see every open work order (or one technician's), a technician their own. `late=true`: only those past their promise and not met now; every item says whether it is late.")
                .allowed(&[Action::WorkOrders])
                .query::<work::WorkParams>()
                .answers_page::<CaseSummary>("One page", examples::work_page()),
        )
        .get(
            "/v1/dispatch/day",
            get(work::day),
            || Op::new("daySheet", "Every technician's day, free and booked (预约能力分析表)")
                .tag("dispatch")
                .allowed(&[Action::DayBoard])
                .query::<work::DayParams>()
                .answers::<work::DaySheet>(200, "The day", json!({"date": "2026-11-20", "technicians": [{
                    "technician": "tech-wang", "name": "Wang Qiang", "capacity": 6,
                    "hours": {"start": "2026-11-20T01:00:00Z", "end": "2026-11-20T10:00:00Z"},
                    "bookings": [{"technician": "tech-wang", "case_id": "AS2611-2012345678", "start": "2026-11-20T03:00:00Z", "end": "2026-11-20T04:30:00Z", "kind": "on_site"}],
                    "free": [{"start": "2026-11-20T01:00:00Z", "end": "2026-11-20T03:00:00Z"}, {"start": "2026-11-20T04:30:00Z", "end": "2026-11-20T10:00:00Z"}]
                }]})),
        )
        .get(
            "/v1/dispatch/report",
            get(people::report),
            || Op::new("dispatchReport", "Late visits and repeat repairs, by technician and product")
                .tag("dispatch")
                .describe("Counted in the same transaction as the event that counts (a missed promise, a repair that passed inspection, a repeat of an earlier repair of the same fault on the same serial number within the policy's window): never by a scan.")
                .allowed(&[Action::DispatchReport])
                .answers::<people::DispatchReport>(200, "The counters", json!({
                    "technicians": [technician_record()],
                    "products": [serde_json::to_value(ProductStats { product: "TV-55X".into(), repairs: 17, repeats: 1 }).unwrap_or_default()]
                })),
        )
        .get(
            "/v1/technicians",
            get(people::list),
            || Op::new("listTechnicians", "Every technician, with what is counted against them")
                .tag("technicians")
                .allowed(&[Action::ReadTechnicians])
                .answers_list::<TechnicianRecord>("The technicians", json!([technician_record()])),
        )
        .put(
            "/v1/technicians/{id}",
            put(people::put),
            || Op::new("putTechnician", "Add or change a technician")
                .tag("technicians")
                .describe("The id is the technician's sign-in subject. Send the `version` read (0 for a new one): a stale version is a 409.")
                .allowed(&[Action::ManageTechnicians])
                .path_param("id", "The technician's sign-in subject", "tech-wang")
                .body::<people::TechnicianBody>(true, json!({
                    "name": "Wang Qiang", "skills": ["television"], "districts": {"420102": "city", "420115": "suburbs"},
                    "hours": [[540, 1080], [540, 1080], [540, 1080], [540, 1080], [540, 1080], [540, 720], null],
                    "daily_capacity": 6, "leave": ["2026-12-24"], "version": 0
                }))
                .answers::<TechnicianRecord>(200, "The technician as stored", technician_record())
                .refuses(&[409]),
        )
        .get(
            "/v1/tools",
            get(people::tools),
            || Op::new("listTools", "The special tools and who has them")
                .tag("technicians")
                .allowed(&[Action::ReadTechnicians])
                .answers_list::<Tool>("The tools", json!([tool()])),
        )
        .put(
            "/v1/tools/{code}",
            put(people::add_tool),
            || Op::new("addTool", "Register a special tool")
                .tag("technicians")
                .allowed(&[Action::ManageTechnicians])
                .path_param("code", "The tool's code", "ESD-01")
                .body::<people::NewTool>(true, json!({"name": "ESD workstation kit"}))
                .answers::<Tool>(201, "The tool", json!({"code": "ESD-01", "name": "ESD workstation kit"}))
                .refuses(&[409]),
        )
        .post(
            "/v1/tools/{code}/lend",
            post(people::lend),
            || Op::new("lendTool", "Lend a special tool (专用工具借用)")
                .tag("technicians")
                .describe("A tool lent already is a 409 `tool-not-available`: it cannot be lent twice, however the requests race.")
                .allowed(&[Action::LendTools])
                .path_param("code", "The tool's code", "ESD-01")
                .body::<people::Lend>(true, json!({"technician": "tech-wang"}))
                .answers::<Tool>(200, "The tool, lent", tool())
                .refuses(&[404, 409, 422]),
        )
        .post(
            "/v1/tools/{code}/return",
            post(people::give_back),
            || Op::new("returnTool", "A lent tool is back")
                .tag("technicians")
                .allowed(&[Action::LendTools])
                .path_param("code", "The tool's code", "ESD-01")
                .answers::<Tool>(200, "The tool, back", json!({"code": "ESD-01", "name": "ESD workstation kit"}))
                .refuses(&[404, 409]),
        )
}
