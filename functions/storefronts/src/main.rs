//! The storefronts Lambda function: configuration, the storefronts' secrets, the cursor key and
//! the DynamoDB client built once per cold start, then the router served by the Lambda runtime.

use aftersales::config;
use storefronts::{AppState, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let start = config::start().await?;
    let (storefronts, cursor_key) = tokio::try_join!(
        config::storefronts(Some(&start.sdk)),
        config::cursor_key(Some(&start.sdk))
    )?;
    lambda_http::run(router(AppState::new(start.app(cursor_key), storefronts))).await
}
