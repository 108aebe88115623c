//! The timers Lambda function, invoked by an EventBridge schedule: configuration and the
//! DynamoDB client built once per cold start, then one run per invocation.

use std::sync::Arc;

use aftersales::clock::{SharedClock, SystemClock};
use aftersales::config::{Config, dynamodb_client};
use aftersales::policy_cache::PolicyCache;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aftersales::config::init_tracing();
    let config = Config::from_env()?;
    let store = Store::new(
        dynamodb_client(config.dynamodb_endpoint.as_deref()).await,
        config.table_name,
    );
    let policy = PolicyCache::default();
    let outbound = timers::Outbound::new(Storefronts::from_env()?);
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
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
