//! The admin page's Lambda function: the built page and its configuration, nothing of the
//! database (the page calls the API like any client).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .without_time()
        .init();
    let sign_in = admin::SignIn::from_env()?;
    lambda_http::run(admin::router(sign_in)).await
}
