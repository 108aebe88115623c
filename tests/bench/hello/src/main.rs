//! Hello world as a Lambda function: what a `lambda_http` binary of our release profile costs
//! to start and answer, so that `make bench` can show each function's start beside it.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_: Request| async {
        Ok::<_, Error>(
            Response::builder()
                .status(200)
                .header("content-type", "text/plain")
                .body(Body::from("hello"))?,
        )
    }))
    .await
}
