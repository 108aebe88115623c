//! Who acts: the roles of DOMAIN §1 and the actor recorded on every timeline event.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The roles of DOMAIN §1. Staff roles are groups in the identity provider; a signed-in person
/// with no staff group is a customer.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Agent,
    Reviewer,
    Manager,
    Dispatcher,
    Technician,
    Warehouse,
    Quality,
    Finance,
    Admin,
    /// The system itself: timers and automatic rules. Never granted by a token.
    System,
}

impl Role {
    pub const PEOPLE: [Role; 10] = [
        Role::Customer,
        Role::Agent,
        Role::Reviewer,
        Role::Manager,
        Role::Dispatcher,
        Role::Technician,
        Role::Warehouse,
        Role::Quality,
        Role::Finance,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Reviewer => "reviewer",
            Role::Manager => "manager",
            Role::Dispatcher => "dispatcher",
            Role::Technician => "technician",
            Role::Warehouse => "warehouse",
            Role::Quality => "quality",
            Role::Finance => "finance",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }

    /// Staff see every case; a customer sees only their own.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Customer)
    }

    /// Staff who talk to customers and may file a case on a customer's behalf (hotline).
    pub fn may_file_for_others(self) -> bool {
        matches!(
            self,
            Role::Agent | Role::Reviewer | Role::Manager | Role::Admin
        )
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::PEOPLE
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown role '{s}'"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did something, as recorded on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    pub id: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
