//! The timers Lambda function, invoked by an EventBridge schedule: configuration and the
//! DynamoDB client and the storefronts (for the outbox) built once per cold start, then one
//! run per invocation.

use std::sync::Arc;

use aftersales::clock::{SharedClock, SystemClock};
use aftersales::config;
use aftersales::policy_cache::PolicyCache;
use aftersales::store::CursorKey;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let start = config::start().await?;
    let outbound = timers::Outbound::new(config::storefronts(Some(&start.sdk)).await?);
    // The timers list nothing a client pages through: a key of their own will do.
    let store = start.store(CursorKey::random());
    let policy = PolicyCache::default();
    let clock: SharedClock = Arc::new(SystemClock);
    lambda_runtime::run(service_fn(|_event: LambdaEvent<serde_json::Value>| {
        let (store, policy, clock, outbound) = (
            store.clone(),
            policy.clone(),
            clock.clone(),
            outbound.clone(),
        );
        async move {
            let report = timers::run(&store, &policy, &clock, &outbound).await?;
            tracing::info!(?report, "timers run");
            // Items that failed are retried next run; the run reports an error so that the
            // stack's alarm on the timers' errors goes off.
            if report.failed > 0 {
                return Err(format!("{} due items failed (see the log)", report.failed).into());
            }
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
