//! Identity: Cognito's pre-token-generation trigger, the one place MFA is enforced.
//!
//! Staff who pay refunds or administer the system (the roles of
//! `aftersales::domain::access::needs_mfa`) must sign in with a second factor. The user pool
//! makes MFA optional (customers sign in with a password alone) and asks every user who has an
//! authenticator app set up for its code at each sign-in. This trigger closes the gap: a
//! finance or admin user without an authenticator app gets no token at all, so such an
//! account cannot act until MFA is set up. Any failure to find out refuses the token (it
//! fails closed).

use aftersales::domain::access::needs_mfa;
use aftersales::domain::identity::Role;
use aws_sdk_cognitoidentityprovider::Client;
use serde_json::Value;

/// Cognito's name for an authenticator app (TOTP).
const SOFTWARE_TOKEN: &str = "SOFTWARE_TOKEN_MFA";

/// The groups a pre-token-generation event says the user is in.
pub fn groups(event: &Value) -> Vec<&str> {
    event["request"]["groupConfiguration"]["groupsToOverride"]
        .as_array()
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether a user in these groups must have MFA to get a token.
pub fn must_have_mfa(groups: &[&str]) -> bool {
    groups
        .iter()
        .filter_map(|g| g.parse::<Role>().ok())
        .any(needs_mfa)
}

#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The trigger: the event back unchanged (the token is issued as Cognito made it), or a
/// refusal (Cognito then refuses the sign-in with this message).
pub async fn handle(cognito: &Client, event: Value) -> Result<Value, Refused> {
    if !must_have_mfa(&groups(&event)) {
        return Ok(event);
    }
    let (Some(pool), Some(user)) = (event["userPoolId"].as_str(), event["userName"].as_str())
    else {
        return Err(Refused("the sign-in event names no user".into()));
    };
    let out = cognito
        .admin_get_user()
        .user_pool_id(pool)
        .username(user)
        .send()
        .await
        .map_err(|e| {
            tracing::error!(
                error = %aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&e),
                "cannot read the user's MFA settings; refusing the token"
            );
            Refused("the sign-in could not be checked; try again".into())
        })?;
    if out
        .user_mfa_setting_list()
        .iter()
        .any(|m| m == SOFTWARE_TOKEN)
    {
        Ok(event)
    } else {
        tracing::warn!(
            user,
            "token refused: finance and admin need an authenticator app"
        );
        Err(Refused(
            "finance and admin staff sign in with an authenticator app: set one up (MFA) first"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(groups: &[&str]) -> Value {
        json!({
            "version": "1", "triggerSource": "TokenGeneration_Authentication",
            "region": "us-east-1", "userPoolId": "us-east-1_Abc", "userName": "u-1",
            "request": {"userAttributes": {"sub": "u-1"},
                        "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": null}},
            "response": {"claimsOverrideDetails": null}
        })
    }

    #[test]
    fn finance_and_admin_need_mfa_and_nobody_else_does() {
        assert!(must_have_mfa(&groups(&event(&["finance"]))));
        assert!(must_have_mfa(&groups(&event(&["agent", "admin"]))));
        for g in [
            "agent",
            "reviewer",
            "manager",
            "dispatcher",
            "technician",
            "warehouse",
            "quality",
        ] {
            assert!(!must_have_mfa(&[g]), "{g}");
        }
        assert!(!must_have_mfa(&groups(&event(&[]))), "customers");
        assert!(!must_have_mfa(&["system", "Finance-ish"]));
    }
}
