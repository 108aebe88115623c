//! Where `now` comes from. Functions in AWS use the system clock; the local gateway may give
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
