//! Locally signed tokens (HS256) and the authorizer's stand-in.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aftersales::domain::identity::Role;
use aftersales::http::ApiError;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "aftersales-local";
pub const AUDIENCE: &str = "aftersales";

/// The claims a Cognito ID token carries that the functions read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Set by the identity provider when it links the person to a storefront account.
    #[serde(
        rename = "custom:storefront_customer",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storefront_customer_id: Option<String>,
}

/// Signs and verifies development tokens with one secret.
#[derive(Clone)]
pub struct DevAuth {
    secret: Vec<u8>,
}

impl DevAuth {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
        }
    }

    /// A token for `sub` acting as `role`, valid for `hours`.
    pub fn token(&self, sub: &str, role: Role, name: Option<&str>, hours: u64) -> String {
        let mut claims = self.claims(sub, role, hours);
        claims.name = name.map(str::to_owned);
        self.sign(&claims)
    }

    /// The claims of a token for `sub` acting as `role`, to adjust before [`DevAuth::sign`].
    pub fn claims(&self, sub: &str, role: Role, hours: u64) -> Claims {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Claims {
            sub: sub.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now + hours * 3600,
            nbf: None,
            groups: if role == Role::Customer {
                vec![]
            } else {
                vec![role.as_str().to_owned()]
            },
            name: None,
            email: None,
            email_verified: None,
            storefront_customer_id: None,
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(&self.secret),
        )
        .unwrap_or_default()
    }

    /// Checks the signature, issuer, audience, expiry and not-before (a token that is not
    /// valid yet is refused, as API Gateway's authorizer refuses it).
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(&self.secret), &validation)
            .map(|data| data.claims)
            .map_err(|e| e.to_string())
    }
}

/// The claims as API Gateway passes them on: every value a string, arrays flattened to
/// `"[a b]"`, booleans as `"true"`.
pub fn flatten_claims(claims: &Claims) -> HashMap<String, String> {
    let mut out = HashMap::new();
    out.insert("sub".to_owned(), claims.sub.clone());
    out.insert("iss".to_owned(), claims.iss.clone());
    out.insert("aud".to_owned(), claims.aud.clone());
    out.insert("iat".to_owned(), claims.iat.to_string());
    out.insert("exp".to_owned(), claims.exp.to_string());
    if !claims.groups.is_empty() {
        out.insert(
            "cognito:groups".to_owned(),
            format!("[{}]", claims.groups.join(" ")),
        );
    }
    if let Some(name) = &claims.name {
        out.insert("name".to_owned(), name.clone());
    }
    if let Some(email) = &claims.email {
        out.insert("email".to_owned(), email.clone());
    }
    if let Some(v) = claims.email_verified {
        out.insert("email_verified".to_owned(), v.to_string());
    }
    if let Some(v) = &claims.storefront_customer_id {
        out.insert("custom:storefront_customer".to_owned(), v.clone());
    }
    out
}

/// The request context API Gateway builds for an HTTP API route with a JWT authorizer, made
/// from the same JSON shape (the types are `non_exhaustive`, and the shape is the contract).
pub fn request_context(req: &Request, claims: Option<&Claims>) -> Option<RequestContext> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut ctx = serde_json::json!({
        "routeKey": "$default",
        "accountId": "000000000000",
        "stage": "$default",
        "requestId": format!("local-{now_ms}"),
        "apiId": "local",
        "domainName": "127.0.0.1",
        "domainPrefix": "local",
        "time": "",
        "timeEpoch": now_ms as i64,
        "http": {
            "method": req.method().as_str(),
            "path": req.uri().path(),
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": user_agent,
        },
    });
    if let Some(claims) = claims {
        ctx["authorizer"] =
            serde_json::json!({ "jwt": { "claims": flatten_claims(claims), "scopes": null } });
    }
    serde_json::from_value::<ApiGatewayV2httpRequestContext>(ctx)
        .ok()
        .map(RequestContext::ApiGatewayV2)
}

/// Routes that API Gateway serves without the JWT authorizer (storefront webhooks sign their
/// bodies instead).
pub fn is_public(path: &str) -> bool {
    path.starts_with("/v1/webhooks/")
        // A survey link is its own credential (sealed for one survey).
        || path.starts_with("/v1/surveys/")
        || path == "/v1/openapi.json"
        || path == "/health"
        // The admin page's files (it signs in itself, then calls the API with a token).
        || path == "/admin"
        || path.starts_with("/admin/")
        // The laptop's own controls (clock, timers, the admin page's sign-in): never deployed.
        || path.starts_with("/_dev/")
}

/// The authorizer's stand-in: a request to a protected route needs a valid bearer token, as
/// behind API Gateway; its claims go into the request context.
pub async fn authorize(State(auth): State<DevAuth>, mut req: Request, next: Next) -> Response {
    let claims = if is_public(req.uri().path()) {
        None
    } else {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let Some(token) = bearer else {
            return ApiError::Unauthorized("sign in: this call needs a bearer token".into())
                .into_response();
        };
        match auth.verify(token.trim()) {
            Ok(claims) => Some(claims),
            Err(why) => {
                return ApiError::Unauthorized(format!("the token was refused: {why}"))
                    .into_response();
            }
        }
    };
    if let Some(ctx) = request_context(&req, claims.as_ref()) {
        req.extensions_mut().insert(ctx);
    }
    next.run(req).await
}
