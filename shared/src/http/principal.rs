//! The caller, read from the JWT authorizer's claims in the API Gateway (v2) request context.
//!
//! In AWS, API Gateway's JWT authorizer has already verified the token; the function reads the
//! claims it passed on. On a laptop, the local gateway verifies its own tokens and fills the
//! same context, so this code cannot tell the two apart. Claims arrive as strings: the groups
//! claim (`cognito:groups`) comes flattened as `"[agent reviewer]"`.
//!
//! Only claims Cognito sets are read (`cognito:groups`, never a plain `groups`), and every
//! claim that ends up in a key, a record or a log line is checked first: a subject with a
//! newline, a `#` or a `:` is refused (401), a name is bounded.

use std::collections::{BTreeSet, HashMap};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;

use super::ApiError;
use crate::domain::access::{self, Action, Caller, Owner};
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
    /// `custom:storefront_customer`), set by the identity provider when it links accounts.
    pub storefront_customer: Option<CustomerId>,
}

/// The claim that links a signed-in customer to their storefront account: the user pool's
/// custom attribute `storefront_customer` (Cognito names custom attributes in 20 characters).
pub const STOREFRONT_CUSTOMER_CLAIM: &str = "custom:storefront_customer";

/// The claim that carries groups: Cognito's. A plain `groups` claim is never read: Cognito
/// does not set it, so only another issuer could.
const GROUPS_CLAIM: &str = "cognito:groups";

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
        // The subject becomes a key (`CUSTOMER#<sub>`), an actor id on every record and a log
        // field: it is what a customer id may be, or the token is refused.
        // A `:` is refused too: `<storefront>:<id>` and `email:<address>` name the records of
        // linked and guest customers, and no subject may pass for one of them.
        let id = claims
            .get("sub")
            .and_then(|s| CustomerId::parse(s.clone()).ok())
            .filter(|s| claims.get("sub").is_some_and(|raw| raw == s.as_str()))
            .filter(|s| !s.as_str().contains(':'))
            .ok_or_else(|| ApiError::Unauthorized("the token has no usable subject".into()))?
            .to_string();
        let roles: BTreeSet<Role> = claims
            .get(GROUPS_CLAIM)
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
            // A display name: bounded and without control characters, or left out.
            name: claims
                .get("name")
                .and_then(|n| crate::domain::values::bounded_text("name", n, 100).ok())
                .filter(|n| !n.is_empty() && !n.contains(['\n', '\t'])),
            verified_email: claims
                .get("email")
                .filter(|_| verified)
                .map(|e| e.trim().to_ascii_lowercase())
                .filter(|e| e.len() <= 254 && e.contains('@') && !e.chars().any(char::is_control)),
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

    /// This person as the access rules see them (`domain::access`).
    pub fn caller(&self) -> Caller<'_> {
        Caller {
            role: self.role(),
            subject: &self.id,
            storefront_customer: self.storefront_customer.as_ref().map(CustomerId::as_str),
            verified_email: self.verified_email.as_deref(),
        }
    }

    /// The access rule for `action` on a record of `owner` (or on none): 403 for a role that
    /// never may, 404 for a record this person may not see.
    pub fn check(&self, action: Action, owner: Option<&Owner<'_>>) -> Result<(), ApiError> {
        access::check(&self.caller(), action, owner).map_err(ApiError::from)
    }

    /// The access rule for `action` on a case, answering 404 with `not_found` for a case this
    /// person may not see (exactly as for a case that does not exist).
    pub fn check_case(&self, action: Action, case: &Case) -> Result<(), ApiError> {
        self.check(action, Some(&case_owner(case)))
    }
}

/// Whose a case is, for the access rules.
pub fn case_owner(case: &Case) -> Owner<'_> {
    Owner {
        customer_id: case.customer_id.as_str(),
        email: case.customer_email.as_deref(),
        assignee: case.assignee.as_deref(),
    }
}

impl Principal {
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
            ("custom:storefront_customer", "main:115310627314723954"),
            ("email", "Jon@Example.com"),
            ("email_verified", "true"),
        ]))
        .unwrap();
        assert_eq!(p.customer_key(), "main:115310627314723954");
        let owns = |id, email| {
            p.caller().owns(&Owner {
                customer_id: id,
                email,
                assignee: None,
            })
        };
        assert!(owns("main:115310627314723954", None));
        assert!(owns("email:jon@example.com", Some("jon@example.com")));
        assert!(owns("c-1", None));
        assert!(!owns("main:1", Some("someone@else.com")));
    }

    #[test]
    fn only_cognitos_groups_claim_grants_a_role() {
        let p = Principal::from_claims(&claims(&[("sub", "x"), ("groups", "[admin]")])).unwrap();
        assert_eq!(
            p.role(),
            Role::Customer,
            "Cognito never sets a plain groups claim"
        );
    }

    #[test]
    fn a_subject_that_could_forge_a_log_line_or_a_key_is_refused() {
        for bad in [
            "alice\nlevel=ERROR forged",
            "a#b",
            " padded",
            "",
            "tab\tbed",
        ] {
            assert!(
                Principal::from_claims(&claims(&[("sub", bad)])).is_err(),
                "{bad:?}"
            );
        }
        let p = Principal::from_claims(&claims(&[("sub", "c-1"), ("name", "Wang\nFang")])).unwrap();
        assert_eq!(p.name, None, "a name with a line break is left out");
    }

    #[test]
    fn an_unverified_email_is_not_trusted() {
        let p = Principal::from_claims(&claims(&[("sub", "c"), ("email", "a@b.c")])).unwrap();
        assert_eq!(p.verified_email, None);
        assert!(Principal::from_claims(&claims(&[("email", "a@b.c")])).is_err());
    }
}
