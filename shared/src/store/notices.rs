//! Storefront notices: what a storefront did to an order (a refund, a cancellation) that each
//! of the order's open cases must be told. The notice is written in the transaction of the
//! delivery that reports it, so that the order records it at once whatever happens next; the
//! cases are then told one transaction each, each marked in the case's partition so that it is
//! told once. A notice with cases left to tell waits in the due index (`GSI5`) for the timers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::{CaseKeys, DueKeys, NoticeKeys};
use super::tx::Tx;
use super::{Store, StoreError};
use crate::domain::case::Change;
use crate::domain::values::{CaseId, OrderId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub storefront: String,
    pub order_id: OrderId,
    /// What to note on each case, in order.
    pub changes: Vec<Change>,
    /// The cases not told yet.
    pub pending: Vec<CaseId>,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct NoticeItem {
    PK: String,
    SK: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI5PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI5SK: Option<String>,
    version: u64,
    notice: Notice,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct MarkItem {
    PK: String,
    SK: String,
    entity: String,
    at: DateTime<Utc>,
}

fn item(notice: &Notice, version: u64) -> NoticeItem {
    let pk = NoticeKeys::pk(&notice.id);
    NoticeItem {
        GSI5PK: notice.next_attempt_at.map(|_| DueKeys::pk(&pk)),
        GSI5SK: notice.next_attempt_at.map(|t| DueKeys::sk(t, &pk)),
        PK: pk,
        SK: NoticeKeys::SK.to_owned(),
        entity: "notice".to_owned(),
        version,
        notice: notice.clone(),
    }
}

impl Store {
    /// Records a notice in the transaction of the delivery that reports it (label `notice`).
    pub fn add_notice(&self, tx: &mut Tx, notice: &Notice) -> Result<(), StoreError> {
        tx.put("notice", &item(notice, 1), "attribute_not_exists(PK)", &[])
    }

    pub async fn notice(&self, id: &str) -> Result<Option<(Notice, u64)>, StoreError> {
        let Some(raw) = self.get(NoticeKeys::pk(id), NoticeKeys::SK).await? else {
            return Ok(None);
        };
        let item: NoticeItem = serde_dynamo::from_item(raw)?;
        Ok(Some((item.notice, item.version)))
    }

    /// Records the progress of a notice, if nobody recorded any meanwhile.
    pub async fn save_notice(
        &self,
        notice: &Notice,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        self.put_versioned(
            &item(notice, expected_version.saturating_add(1)),
            expected_version,
        )
        .await
    }

    /// Marks a case told of a notice, in the transaction that tells it (label `notice-mark`):
    /// a second telling fails on the mark and changes nothing.
    pub fn add_notice_mark(
        &self,
        tx: &mut Tx,
        case: &CaseId,
        notice: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mark = MarkItem {
            PK: CaseKeys::pk(case),
            SK: CaseKeys::notice_sk(notice),
            entity: "notice_mark".to_owned(),
            at,
        };
        tx.put("notice-mark", &mark, "attribute_not_exists(PK)", &[])
    }
}
