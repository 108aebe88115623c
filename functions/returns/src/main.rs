//! The return approval Lambda function: configuration and the DynamoDB client built once
//! per cold start, then the router served by the Lambda runtime.

use std::sync::Arc;

use aftersales::clock::SystemClock;
use aftersales::config::{Config, dynamodb_client};
use aftersales::policy_cache::PolicyCache;
use aftersales::store::Store;
use returns::{AppState, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aftersales::config::init_tracing();
    let config = Config::from_env()?;
    let client = dynamodb_client(config.dynamodb_endpoint.as_deref()).await;
    let state = AppState {
        store: Store::new(client, config.table_name),
        policy: PolicyCache::default(),
        clock: Arc::new(SystemClock),
    };
    lambda_http::run(router(state)).await
}
