//! The feedback Lambda function: configuration, the cursor key and the DynamoDB client built
//! once per cold start, then the router served by the Lambda runtime.

use aftersales::config;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let start = config::start().await?;
    let cursor_key = config::cursor_key(Some(&start.sdk)).await?;
    lambda_http::run(feedback::router(start.app(cursor_key))).await
}
