//! Where `now` (and chance) come from. Functions in AWS use the system clock; the local gateway may give
//! its routers a clock it can move forward (to show a 48-hour rule in seconds). Because that
//! clock lives in `infra/local`, no Lambda build can contain it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// A random number from the operating system: the random part of a new case's number.
pub fn random_u64() -> u64 {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore;
    OsRng.next_u64()
}
