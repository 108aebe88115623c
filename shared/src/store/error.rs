//! What can go wrong talking to DynamoDB, sorted by what the caller should do about it.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition failed: someone changed the item first (or it already exists).
    #[error("the record was changed by someone else")]
    Conflict,
    /// What a request wanted was taken by another (a technician's time): the rule's name and
    /// why, answered 409 (not a lost race: the same request cannot succeed).
    #[error("{1}")]
    Taken(&'static str, &'static str),
    /// Throttled, timed out or unreachable: worth retrying later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A cursor that this store did not hand out, or one for another query.
    #[error("invalid cursor")]
    BadCursor,
    /// An item that does not read as its entity: a bug or a hand edit, never the client's fault.
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Other(String),
}

const RETRYABLE_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    fn from(err: SdkError<E, R>) -> Self {
        match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                StoreError::Unavailable(format!("{err:?}"))
            }
            SdkError::ServiceError(service) => {
                let inner = service.err();
                match inner.code() {
                    Some("ConditionalCheckFailedException") => StoreError::Conflict,
                    Some(code) if RETRYABLE_CODES.contains(&code) => {
                        StoreError::Unavailable(code.to_owned())
                    }
                    _ => StoreError::Other(format!(
                        "{}: {}",
                        inner.code().unwrap_or("unknown"),
                        inner.message().unwrap_or_default()
                    )),
                }
            }
            _ => StoreError::Other(format!("{err:?}")),
        }
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(err: serde_dynamo::Error) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}
