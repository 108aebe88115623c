//! The identity Lambda function (Cognito's pre-token-generation trigger): the Cognito client
//! built once per cold start, with timeouts well inside the 5 seconds Cognito waits.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aftersales::config::init_tracing();
    let sdk = aftersales::config::aws().await;
    let config = aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_timeout(Duration::from_secs(3))
                .build(),
        )
        .build();
    let cognito = aws_sdk_cognitoidentityprovider::Client::from_conf(config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let cognito = cognito.clone();
        async move {
            identity::handle(&cognito, event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
