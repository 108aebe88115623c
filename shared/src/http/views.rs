//! Response shapes more than one function answers with.

use serde::Serialize;

use crate::domain::case::{Case, Event};
use crate::domain::identity::Role;

/// A case as answered: the record and its timeline, oldest event first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    pub timeline: Vec<Event>,
}

impl CaseView {
    /// The view as `role` is shown it: a customer sees their work order without the
    /// merchant's internals (`WorkOrder::as_seen_by_customer`), and nothing of what was
    /// written back to the shop (the shop's own messages are the merchant's).
    pub fn shown_to(mut self, role: Role) -> Self {
        if role == Role::Customer {
            if let Some(work) = self.case.work.as_mut() {
                work.as_seen_by_customer();
            }
            self.case.writebacks.clear();
            self.timeline.retain(|e| !e.change.is_writeback());
        }
        self
    }
}
