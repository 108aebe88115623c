//! Intake: how customers (mobile app) and agents (hotline, admin page) file after-sales cases,
//! look up what a purchase is owed, follow a case's timeline, add evidence and cancel.
//!
//! The router is served by the Lambda runtime in AWS (`main.rs`) and by the local gateway on a
//! laptop; handlers only parse, load, decide (in `aftersales::domain`), write and answer.
//!
//! | route                                | who                                  |
//! |--------------------------------------|--------------------------------------|
//! | `GET  /v1/entitlements`              | anyone signed in                     |
//! | `POST /v1/cases`                     | a customer for themselves, an agent for a customer |
//! | `GET  /v1/cases`                     | a customer: their own; staff: the queue |
//! | `GET  /v1/cases/{id}`                | the case's customer, staff           |
//! | `POST /v1/cases/{id}/evidence`       | the case's customer, staff           |
//! | `POST /v1/cases/{id}/cancel`         | the case's customer, an agent        |
//!
//! Storefront webhooks and orders are `functions/storefronts`; the merchant's policy is
//! `functions/policy`.

mod cases;
mod entitlements;
mod uploads;

pub(crate) use aftersales::http::retry_on_conflict;

use aftersales::domain::access::Action;
use aftersales::domain::case::{self, CaseSummary};
use aftersales::domain::entitlement::Entitlement;
use aftersales::http::contract::{Docs, RoutesOnly};
use aftersales::http::{Api, CaseView, Op, case_command_op, case_command_route, examples, problem};
use axum::Router;
use axum::routing::{get, post};

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

/// The function's routes, each with its operation in the published contract (built only
/// `WithDocs`: a Lambda's router is `RoutesOnly`).
pub fn api<D: Docs>() -> Api<AppState, D> {
    Api::new()
        .get(
            "/v1/entitlements",
            get(entitlements::look_up),
            || Op::new("lookUpEntitlement", "What a purchase is owed today")
                .tag("entitlements")
                .describe("By a storefront order line (`storefront`, `order_id`, `line_id`: the order is the proof of purchase), or by a product `category` and its dates. Each remedy's window says why, from the policy.")
                .allowed(&[Action::LookUpEntitlement])
                .query::<entitlements::Params>()
                .answers::<Entitlement>(200, "The entitlement, with the reasons", examples::entitlement())
                .refuses(&[404, 422]),
        )
        .post(
            "/v1/cases",
            post(cases::file),
            || Op::new("fileCase", "File a service request")
                .tag("cases")
                .describe("A customer files for themselves (from the app); customer service files for a customer it names. With `Idempotency-Key`, a retry answers the case filed the first time (`Idempotent-Replayed: true`); the same key with another body is a 422.")
                .allowed(&[Action::FileCase])
                .header("Idempotency-Key", "Makes a retry safe: the same key and body file once", false)
                .body::<case::NewCase>(true, examples::new_case())
                .answers::<CaseView>(201, "The case filed, with its entitlement and first deadline", examples::case_view())
                .link(201, "readCase", &[("id", "$response.body#/id")])
                .link(201, "addEvidence", &[("id", "$response.body#/id")])
                .link(201, "cancelCase", &[("id", "$response.body#/id")])
                .link(201, "askUpload", &[("id", "$response.body#/id")])
                .link(201, "returnStep", &[("id", "$response.body#/id")])
                .refuses(&[404, 409, 422]),
        )
        .get(
            "/v1/cases",
            get(cases::list),
            || Op::new("listCases", "A customer's own cases, or the staff queue")
                .tag("cases")
                .allowed(&[Action::ListCases])
                .query::<cases::ListParams>()
                .answers_page::<CaseSummary>("One page, newest first", examples::case_page()),
        )
        .get(
            "/v1/cases/{id}",
            get(cases::read),
            || Op::new("readCase", "A case with its timeline")
                .tag("cases")
                .allowed(&[Action::ReadCase])
                .path_param("id", "The case number", "AS2611-2012345678")
                .answers::<CaseView>(200, "The case, oldest event first", examples::case_view()),
        )
        .post(
            "/v1/cases/{id}/evidence",
            case_command_route::<case::AddEvidence, _>(),
            || case_command_op::<case::AddEvidence>("addEvidence", "Add evidence to a case", examples::add_evidence()),
        )
        .post(
            "/v1/cases/{id}/uploads",
            post(uploads::ask),
            || Op::new("askUpload", "Ask where to upload a photo or a video")
                .tag("evidence")
                .describe("Answers a presigned `PUT` URL of the evidence bucket, valid 15 minutes, for exactly the media type and size asked: upload the file there with the headers given, then attach it. S3 refuses a body of another size or type, a second write to the same object, and the URL once expired.")
                .allowed(&[Action::AddEvidence])
                .path_param("id", "The case number", "AS2611-2012345678")
                .body::<uploads::UploadRequest>(true, examples::upload_request())
                .answers::<uploads::UploadTicket>(201, "Where and how to upload", examples::upload_ticket())
                .link(201, "attachUpload", &[("id", "$request.path.id"), ("upload", "$response.body#/upload_id")])
                .refuses(&[409]),
        )
        .post(
            "/v1/cases/{id}/uploads/{upload}",
            post(uploads::attach),
            || Op::new("attachUpload", "Attach an uploaded file to its case")
                .tag("evidence")
                .describe("Once the file is in the bucket: its size and media type are the bucket's. Only a file uploaded for this case, of the size asked, can be attached, once; before it is uploaded the answer is 422 `upload-missing`.")
                .allowed(&[Action::AddEvidence])
                .path_param("id", "The case number", "AS2611-2012345678")
                .path_param("upload", "The `upload_id` the upload URL came with", "0123456789abcdef0123456789abcdef-482133")
                .body::<uploads::AttachUpload>(false, serde_json::json!({"type": "photo", "note": "The flicker, at 10 minutes."}))
                .answers::<CaseView>(200, "The case with the file as evidence", examples::case_view())
                .refuses(&[409, 422]),
        )
        .get(
            "/v1/cases/{id}/evidence/{n}",
            get(uploads::read),
            || Op::new("readEvidence", "Where to read one piece of evidence")
                .tag("evidence")
                .describe("For an uploaded file, a presigned `GET` URL valid 5 minutes; for evidence given as an address, that address.")
                .allowed(&[Action::ReadCase])
                .path_param("id", "The case number", "AS2611-2012345678")
                .path_param("n", "The evidence's position on the case, from 0", "0")
                .answers::<uploads::EvidenceLink>(200, "Where to read it", serde_json::json!({"url": "https://evidence.s3.us-east-1.amazonaws.com/cases/AS2611-2012345678/0123456789abcdef0123456789abcdef-482133?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=…", "expires_at": "2026-11-20T02:05:00Z"})),
        )
        .post(
            "/v1/cases/{id}/cancel",
            case_command_route::<case::Cancel, _>(),
            || case_command_op::<case::Cancel>("cancelCase", "Cancel a case", examples::cancel()),
        )
}
