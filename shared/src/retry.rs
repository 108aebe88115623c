//! The one bounded retry of a read-decide-write step that lost a race: every command on a
//! case, a filing, a webhook's effect, a timer's firing and a notice told to a case run
//! through it. The next attempt reads the new state and decides on it; after
//! [`ATTEMPTS`] the conflict is the caller's (409 over HTTP, a skip for the timers).

use std::future::Future;

use crate::http::ApiError;
use crate::store::StoreError;

/// Attempts at one step before the conflict is answered.
pub const ATTEMPTS: usize = 3;

/// An error that means another writer got there first (and nothing else).
pub trait LostRace {
    fn lost_race(&self) -> bool;
}

impl LostRace for ApiError {
    fn lost_race(&self) -> bool {
        matches!(self, ApiError::Conflict(_))
    }
}

impl LostRace for StoreError {
    fn lost_race(&self) -> bool {
        matches!(self, StoreError::Conflict)
    }
}

/// Runs `step(attempt)` (1, 2, ...) until it does not lose a race, at most [`ATTEMPTS`] times.
pub async fn on_lost_race<T, E, F, Fut>(mut step: F) -> Result<T, E>
where
    E: LostRace,
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match step(attempt).await {
            Err(e) if e.lost_race() && attempt < ATTEMPTS => {
                // Writers that met on one item (a hot counter) go again apart, not in step.
                tokio::time::sleep(pause(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A short pause before attempt `attempt + 1`: 5 to 25 ms times the attempts made, jittered.
fn pause(attempt: usize) -> std::time::Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let jitter = u64::from(nanos % 20);
    std::time::Duration::from_millis((5 + jitter) * attempt as u64)
}
