//! The caller, read from the JWT authorizer's claims in the API Gateway (v2) request context.
//!
//! In AWS, API Gateway's JWT authorizer has already verified the token; the function reads the
//! claims it passed on. On a laptop, the local gateway verifies its own tokens and fills the
//! same context, so this code cannot tell the two apart. Claims arrive as strings: the groups
//! claim (`cognito:groups`) comes flattened as `"[agent reviewer]"`.

use std::collections::{BTreeSet, HashMap};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;

use super::ApiError;
use crate::domain::case::Case;
use crate::domain::identity::{Actor, Role};
use crate::domain::values::CustomerId;

/// A signed-in person: a customer, or staff with one or more roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The identity provider's subject (`sub`).
    pub id: String,
    /// Staff roles from the groups claim; a person with none is a customer.
    pub roles: BTreeSet<Role>,
    pub name: Option<String>,
    /// Only when the identity provider says it is verified; lower case.
    pub verified_email: Option<String>,
    /// The customer's id at a storefront (`<storefront>:<id>`, claim
    /// `custom:storefront_customer_id`), set by the identity provider when it links accounts.
    pub storefront_customer: Option<CustomerId>,
}

/// The claim that links a signed-in customer to their storefront account.
pub const STOREFRONT_CUSTOMER_CLAIM: &str = "custom:storefront_customer_id";

/// Claims that carry groups, in the order they are looked for.
const GROUP_CLAIMS: [&str; 2] = ["cognito:groups", "groups"];

/// The order in which a person with several roles acts: the most senior first.
const SENIORITY: [Role; 9] = [
    Role::Admin,
    Role::Manager,
    Role::Finance,
    Role::Quality,
    Role::Reviewer,
    Role::Dispatcher,
    Role::Agent,
    Role::Warehouse,
    Role::Technician,
];

impl Principal {
    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Self, ApiError> {
        let id = claims
            .get("sub")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::Unauthorized("the token has no subject".into()))?
            .to_owned();
        let roles: BTreeSet<Role> = GROUP_CLAIMS
            .iter()
            .find_map(|c| claims.get(*c))
            .map(|raw| parse_groups(raw))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|g| g.parse::<Role>().ok())
            .filter(|r| *r != Role::Customer)
            .collect();
        let verified = claims.get("email_verified").is_some_and(|v| v == "true");
        Ok(Self {
            id,
            roles,
            name: claims.get("name").cloned(),
            verified_email: claims
                .get("email")
                .filter(|_| verified)
                .map(|e| e.trim().to_ascii_lowercase()),
            storefront_customer: claims
                .get(STOREFRONT_CUSTOMER_CLAIM)
                .filter(|v| v.contains(':'))
                .and_then(|v| CustomerId::parse(v.clone()).ok()),
        })
    }

    /// The role this person acts in: their most senior staff role, or customer.
    pub fn role(&self) -> Role {
        SENIORITY
            .into_iter()
            .find(|r| self.roles.contains(r))
            .unwrap_or(Role::Customer)
    }

    pub fn is_staff(&self) -> bool {
        self.role().is_staff()
    }

    /// For a customer, the id their records carry: the storefront account if linked (so that
    /// cases filed in the app and orders from the storefront are one customer's), else the
    /// subject. For staff, the subject.
    pub fn customer_key(&self) -> String {
        match (&self.storefront_customer, self.role()) {
            (Some(key), Role::Customer) => key.as_str().to_owned(),
            _ => self.id.clone(),
        }
    }

    /// Whether records of this customer id or e-mail are this customer's.
    pub fn owns(&self, customer_id: &str, email: Option<&str>) -> bool {
        customer_id == self.id
            || self
                .storefront_customer
                .as_ref()
                .is_some_and(|k| k.as_str() == customer_id)
            || self
                .verified_email
                .as_deref()
                .is_some_and(|mine| email.is_some_and(|e| e.eq_ignore_ascii_case(mine)))
    }

    /// Who may see a case: its customer, the technician it is assigned to, any other staff.
    /// Everyone else is told it does not exist, so that case numbers leak nothing.
    pub fn can_see(&self, case: &Case) -> bool {
        match self.role() {
            Role::Customer => self.owns(case.customer_id.as_str(), case.customer_email.as_deref()),
            Role::Technician => case.assignee.as_deref() == Some(self.id.as_str()),
            _ => true,
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            id: self.customer_key(),
            role: self.role(),
            name: self.name.clone(),
        }
    }

    /// A key that scopes per-caller records (idempotency keys).
    pub fn caller_key(&self) -> String {
        format!("{}:{}", self.role(), self.id)
    }
}

/// Groups arrive as `"[a b]"` from API Gateway, as a JSON array from some issuers, or as a
/// comma-separated list; all three are accepted.
pub fn parse_groups(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list;
    }
    raw.trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|s| s.trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let claims = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| &jwt.claims),
            _ => None,
        };
        match claims {
            Some(claims) if !claims.is_empty() => Principal::from_claims(claims),
            _ => Err(ApiError::Unauthorized(
                "sign in: this call needs a bearer token".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn groups_are_read_in_every_shape_issuers_send() {
        assert_eq!(parse_groups("[agent reviewer]"), ["agent", "reviewer"]);
        assert_eq!(parse_groups(r#"["agent","finance"]"#), ["agent", "finance"]);
        assert_eq!(parse_groups("agent, manager"), ["agent", "manager"]);
        assert!(parse_groups("[]").is_empty());
    }

    #[test]
    fn a_person_without_staff_groups_is_a_customer_and_staff_act_in_their_senior_role() {
        let p = Principal::from_claims(&claims(&[("sub", "c-1")])).unwrap();
        assert_eq!(p.role(), Role::Customer);
        let p = Principal::from_claims(&claims(&[
            ("sub", "s-1"),
            ("cognito:groups", "[agent manager]"),
        ]))
        .unwrap();
        assert_eq!(p.role(), Role::Manager);
        let p = Principal::from_claims(&claims(&[("sub", "x"), ("cognito:groups", "[system]")]))
            .unwrap();
        assert_eq!(
            p.role(),
            Role::Customer,
            "no token can claim to be the system"
        );
    }

    #[test]
    fn a_linked_storefront_account_and_a_verified_email_make_records_the_customers() {
        let p = Principal::from_claims(&claims(&[
            ("sub", "c-1"),
            ("custom:storefront_customer_id", "main:115310627314723954"),
            ("email", "Jon@Example.com"),
            ("email_verified", "true"),
        ]))
        .unwrap();
        assert_eq!(p.customer_key(), "main:115310627314723954");
        assert!(p.owns("main:115310627314723954", None));
        assert!(p.owns("email:jon@example.com", Some("jon@example.com")));
        assert!(p.owns("c-1", None));
        assert!(!p.owns("main:1", Some("someone@else.com")));
    }

    #[test]
    fn an_unverified_email_is_not_trusted() {
        let p = Principal::from_claims(&claims(&[("sub", "c"), ("email", "a@b.c")])).unwrap();
        assert_eq!(p.verified_email, None);
        assert!(Principal::from_claims(&claims(&[("email", "a@b.c")])).is_err());
    }
}
