//! The intake Lambda function: configuration and the DynamoDB client built once per cold
//! start, then the router served by the Lambda runtime.

use std::sync::Arc;

use aftersales::clock::SystemClock;
use aftersales::config::Config;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use intake::{AppState, dynamodb_client, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aftersales::config::init_tracing();
    let config = Config::from_env()?;
    let client = dynamodb_client(config.dynamodb_endpoint.as_deref()).await;
    let storefronts = Storefronts::from_env()?;
    let state = AppState::new(
        Store::new(client, config.table_name),
        Arc::new(SystemClock),
        storefronts,
    );
    lambda_http::run(router(state)).await
}
