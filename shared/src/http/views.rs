//! Response shapes more than one function answers with.

use serde::Serialize;

use crate::domain::case::{Case, Event};

/// A case as answered: the record and its timeline, oldest event first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    pub timeline: Vec<Event>,
}
