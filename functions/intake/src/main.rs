//! The intake Lambda function: configuration, secrets and the DynamoDB client built once per
//! cold start, then the router served by the Lambda runtime.

use std::sync::Arc;

use aftersales::clock::SystemClock;
use aftersales::config::{self, Config};
use aftersales::store::Store;
use intake::{AppState, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::init_tracing();
    let config = Config::from_env()?;
    let sdk = config::aws().await;
    let client = config::dynamodb_client(&sdk, config.dynamodb_endpoint.as_deref());
    let (storefronts, cursor_key) = tokio::try_join!(
        config::storefronts(Some(&sdk)),
        config::cursor_key(Some(&sdk))
    )?;
    let state = AppState::new(
        Store::new(client, config.table_name, cursor_key),
        Arc::new(SystemClock),
        storefronts,
    );
    lambda_http::run(router(state)).await
}
