//! The policy Lambda function: configuration and the DynamoDB client built once per cold
//! start (no secret), then the router served by the Lambda runtime.

use aftersales::config;
use aftersales::store::CursorKey;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let start = config::start().await?;
    // The policy is one item: nothing here is listed, so no cursor key is read at start.
    lambda_http::run(policy::router(start.app(CursorKey::random()))).await
}
