//! The development gateway: every function's router in one app, as API Gateway would route
//! them, behind the authorizer's stand-in; the timers run in the background; and a clock that
//! only this gateway can move, so that a 48-hour rule can be shown in seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use aftersales::clock::{Clock, SharedClock};
use aftersales::domain::InvalidField;
use aftersales::http::{ApiError, JsonBody};
use aftersales::policy_cache::PolicyCache;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::{DevAuth, authorize};

/// The system clock plus an offset that only grows. Lives here, in the laptop's gateway, so
/// that no Lambda build can contain a movable clock.
#[derive(Debug, Default)]
pub struct DevClock {
    offset_seconds: AtomicI64,
}

impl Clock for DevClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }
}

impl DevClock {
    /// Moves the clock forward by `by` (never back), at most to 2200: the dates the system
    /// accepts end there.
    pub fn advance(&self, by: Duration) {
        let latest = aftersales::domain::values::LATEST_DATE
            .and_hms_opt(0, 0, 0)
            .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc());
        let room = (latest - Utc::now()).num_seconds().max(0);
        let _ = self
            .offset_seconds
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                Some(now.saturating_add(by.num_seconds().max(0)).min(room))
            });
    }
}

/// The whole system in one process, sharing one store, one policy cache and one clock.
#[derive(Clone)]
pub struct Stack {
    pub store: Store,
    pub policy: PolicyCache,
    pub clock: Arc<DevClock>,
    pub storefronts: Storefronts,
    outbound: timers::Outbound,
}

/// Every function's operations: the published contract's list, in the order the document
/// shows them.
pub fn operations() -> Vec<aftersales::http::Op> {
    use aftersales::http::contract::WithDocs;
    let mut ops = intake::api::<WithDocs>().operations();
    ops.extend(returns::api::<WithDocs>().operations());
    ops.extend(dispatch::api::<WithDocs>().operations());
    ops.extend(feedback::api::<WithDocs>().operations());
    ops.extend(storefronts::api::<WithDocs>().operations());
    ops.extend(policy::api::<WithDocs>().operations());
    ops
}

/// The published document, as `make openapi` writes it to `shared/openapi.json`.
pub fn openapi_json() -> String {
    aftersales::http::contract::document_json(&operations())
}

impl Stack {
    pub fn new(store: Store, storefronts: Storefronts) -> Self {
        Self {
            store,
            policy: PolicyCache::default(),
            clock: Arc::default(),
            outbound: timers::Outbound::new(storefronts.clone()),
            storefronts,
        }
    }

    /// The same, with storefront calls that give up after `timeout` (a test's stand-in that
    /// answers late need not be waited on for long).
    pub fn with_storefront_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.outbound = timers::Outbound::with_timeout(self.storefronts.clone(), timeout);
        self
    }

    fn shared_clock(&self) -> SharedClock {
        self.clock.clone()
    }

    pub fn router(&self, auth: DevAuth) -> Router {
        // One policy cache for every router, so that a policy change is seen by all at once.
        let app = aftersales::http::App {
            store: self.store.clone(),
            policy: self.policy.clone(),
            clock: self.shared_clock(),
            evidence: aftersales::storage::Bucket::from_env(),
        };
        let intake = intake::routes(app.clone());
        let returns = returns::routes(app.clone());
        let dispatch = dispatch::routes(app.clone());
        let feedback = feedback::routes(app.clone());
        let policy = policy::routes(app.clone());
        let storefronts =
            storefronts::routes(storefronts::AppState::new(app, self.storefronts.clone()));
        let dev = Router::new()
            .route("/_dev/clock", get(read_clock).post(advance_clock))
            .route("/_dev/timers/run", post(run_timers))
            .with_state(self.clone());
        // The admin page: its built files and configuration, and the local sign-in page.
        let admin = admin::router(admin::SignIn::Local).merge(crate::signin::routes(auth.clone()));
        Router::new()
            .route("/health", get(|| async { "ok" }))
            .merge(dev)
            .merge(admin)
            .merge(intake)
            .merge(returns)
            .merge(dispatch)
            .merge(feedback)
            .merge(storefronts)
            .merge(policy)
            .fallback(aftersales::http::problem::not_found)
            .layer(axum::middleware::from_fn_with_state(auth, authorize))
    }

    /// One timers run, as the EventBridge schedule would start it.
    pub async fn run_timers(&self) -> Result<timers::Report, aftersales::store::StoreError> {
        timers::run(
            &self.store,
            &self.policy,
            &self.shared_clock(),
            &self.outbound,
        )
        .await
    }

    /// Runs the timers every `every`, for as long as the process lives.
    pub fn spawn_timers(&self, every: std::time::Duration) {
        let stack = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match stack.run_timers().await {
                    Ok(r) if r.fired > 0 => tracing::info!(?r, "timers fired"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "timers run failed"),
                }
            }
        });
    }
}

#[derive(Serialize)]
struct ClockView {
    now: DateTime<Utc>,
}

/// A move of the clock: whole hours and minutes forward, each at most ten years' worth.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    hours: u32,
    #[serde(default)]
    minutes: u32,
}

const MAX_HOURS: u32 = 24 * 366 * 10;

async fn read_clock(State(stack): State<Stack>) -> Json<ClockView> {
    Json(ClockView {
        now: stack.clock.now(),
    })
}

/// `POST /_dev/clock {"hours": 48}`: moves the gateway's clock forward, then runs the timers.
async fn advance_clock(
    State(stack): State<Stack>,
    JsonBody { value: by, .. }: JsonBody<Advance>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if by.hours > MAX_HOURS || by.minutes > MAX_HOURS.saturating_mul(60) {
        return Err(ApiError::invalid(vec![InvalidField::new(
            "hours",
            format!("move the clock by at most {MAX_HOURS} hours (ten years) at a time"),
        )]));
    }
    stack
        .clock
        .advance(Duration::hours(i64::from(by.hours)) + Duration::minutes(i64::from(by.minutes)));
    let report = stack.run_timers().await.ok();
    Ok(Json(
        serde_json::json!({ "now": stack.clock.now(), "timers": report }),
    ))
}

async fn run_timers(State(stack): State<Stack>) -> Result<Json<timers::Report>, ApiError> {
    Ok(Json(stack.run_timers().await?))
}
