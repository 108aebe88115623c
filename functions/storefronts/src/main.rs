//! The storefronts Lambda function: configuration, the storefronts' secrets, the cursor key and
//! the DynamoDB client built once per cold start, then the router served by the Lambda runtime.

use std::sync::Arc;

use aftersales::clock::SystemClock;
use aftersales::config::{self, Config};
use aftersales::http::App;
use aftersales::store::Store;
use storefronts::{AppState, router};

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
    let app = App::new(
        Store::new(client, config.table_name, cursor_key),
        Arc::new(SystemClock),
    );
    lambda_http::run(router(AppState::new(app, storefronts))).await
}
