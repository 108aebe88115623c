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
use crate::domain::identity::{Actor, Role};

/// A signed-in person: a customer, or staff with one or more roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The identity provider's subject (`sub`).
    pub id: String,
    /// Staff roles from the groups claim; a person with none is a customer.
    pub roles: BTreeSet<Role>,
    pub name: Option<String>,
    /// Only when the identity provider says it is verified.
    pub verified_email: Option<String>,
}

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
            verified_email: claims.get("email").filter(|_| verified).cloned(),
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

    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id.clone(),
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
    fn an_unverified_email_is_not_trusted() {
        let p = Principal::from_claims(&claims(&[("sub", "c"), ("email", "a@b.c")])).unwrap();
        assert_eq!(p.verified_email, None);
        assert!(Principal::from_claims(&claims(&[("email", "a@b.c")])).is_err());
    }
}
