//! The local sign-in page of the admin page (`make dev` only, never deployed): pick a role and
//! a name, get a dev token, go back to the page with it in the URL's fragment (which no server
//! sees). In AWS the page signs in through Cognito's hosted sign-in instead.

use std::str::FromStr;

use aftersales::domain::identity::Role;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::DevAuth;

/// A token from this page lasts a working day.
const HOURS: u64 = 12;

#[derive(Deserialize)]
struct Back {
    #[serde(rename = "return")]
    back: Option<String>,
}

/// Only back into the admin page: never a redirect elsewhere. An absolute address is taken
/// only on this host (`host`: the request's own).
fn safe_return(back: Option<&str>, host: Option<&str>) -> String {
    let back = back.map(|b| {
        let local = host.and_then(|h| {
            ["http://", "https://"]
                .iter()
                .find_map(|scheme| b.strip_prefix(scheme)?.strip_prefix(h))
        });
        local.unwrap_or(b)
    });
    match back {
        Some(b) if b.starts_with("/admin") && !b.contains("//") && !b.contains('\\') => {
            b.split('#').next().unwrap_or("/admin/").to_owned()
        }
        _ => "/admin/".to_owned(),
    }
}

pub fn routes(auth: DevAuth) -> Router {
    Router::new()
        .route("/_dev/sign-in", get(page).post(sign_in))
        .with_state(auth)
}

fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|h| h.to_str().ok())
}

async fn page(headers: HeaderMap, Query(back): Query<Back>) -> Response {
    let back = safe_return(back.back.as_deref(), host(&headers));
    let roles: String = Role::PEOPLE
        .into_iter()
        .filter(|r| *r != Role::Customer)
        .map(|r| format!("<option value=\"{0}\">{0}</option>", r.as_str()))
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Sign in (local)</title>\
<style>body{{font:16px system-ui;margin:3rem auto;max-width:24rem}}label{{display:block;margin:1rem 0}}</style>\
<h1>Sign in · 登录 (local)</h1><p>A dev token of the local gateway: never in AWS.</p>\
<form method=\"post\" action=\"/_dev/sign-in\"><input type=\"hidden\" name=\"return\" value=\"{back}\">\
<label>Role · 角色 <select name=\"role\" data-testid=\"sign-in-role\">{roles}</select></label>\
<label>Name · 姓名 <input name=\"name\" data-testid=\"sign-in-name\" value=\"Zhao Min\" maxlength=\"60\" required></label>\
<button type=\"submit\" data-testid=\"sign-in-submit\">Sign in · 登录</button></form></html>",
        back = dispatch::slip::escape(&back)
    );
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}

async fn sign_in(State(auth): State<DevAuth>, headers: HeaderMap, body: String) -> Response {
    let mut role = None;
    let mut name = String::new();
    let mut back = None;
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "role" => role = Role::from_str(&v).ok(),
            "name" => name = v.trim().chars().take(60).collect(),
            "return" => back = Some(v.into_owned()),
            _ => {}
        }
    }
    let (Some(role), false) = (role, name.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "pick a role and give a name").into_response();
    };
    let sub = format!(
        "{}-{}",
        role.as_str(),
        name.to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .take(24)
            .collect::<String>()
    );
    let token = auth.token(&sub, role, Some(&name), HOURS);
    let back = safe_return(back.as_deref(), host(&headers));
    Redirect::to(&format!("{back}#token={token}")).into_response()
}
