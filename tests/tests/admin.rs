//! The admin page as the local gateway serves it (as its Lambda does in AWS): the built page
//! with its security headers and cache lifetimes, its configuration, the app's own routes
//! answered by its shell, and the local sign-in page, which only ever sends back into the page.

use e2e::{StatusCode, TestApp, json};
use reqwest::Method;

fn no_redirects() -> reqwest::Client {
    e2e::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

#[tokio::test]
async fn the_page_is_served_with_its_security_headers_and_hashed_assets_cached_for_a_year() {
    let app = TestApp::spawn().await;
    let shell = app
        .http_request(Method::GET, "/admin/")
        .send()
        .await
        .unwrap();
    assert_eq!(shell.status(), StatusCode::OK);
    let headers = shell.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("'unsafe-eval'") && !csp.contains("script-src 'unsafe-inline'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["cache-control"], "no-cache",
        "the shell is never stale"
    );
    let html = shell.text().await.unwrap();
    // The built page names its script by content hash (make test builds it first).
    let script = html
        .split("src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|s| s.starts_with("/admin/assets/") && s.ends_with(".js"))
        .unwrap_or_else(|| panic!("the built page names its hashed script: {html}"));
    assert!(
        !html.contains("<script>"),
        "no inline script under the CSP: {html}"
    );
    let asset = app.http_request(Method::GET, script).send().await.unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );

    // The app's own routes get the shell; a missing asset does not.
    let route = app
        .http_request(Method::GET, "/admin/cases/AS2612-0212345678")
        .send()
        .await
        .unwrap();
    assert_eq!(route.status(), StatusCode::OK);
    assert_eq!(route.text().await.unwrap(), html);
    let missing = app
        .http_request(Method::GET, "/admin/assets/gone-1234.js")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let (status, config) = json(
        app.http_request(Method::GET, "/admin/config.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(config, serde_json::json!({"mode": "local"}));
}

#[tokio::test]
async fn the_local_sign_in_gives_a_token_that_the_api_takes_and_sends_back_into_the_page_only() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    let form = app
        .http_request(Method::GET, "/_dev/sign-in?return=/admin/returns")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("value=\"/admin/returns\""), "{form}");
    let sign_in = |back: &str| {
        let (client, base, back) = (&client, app.base.clone(), back.to_owned());
        async move {
            client
                .post(format!("{base}/_dev/sign-in"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("role=agent&name=Zhao%20Min&return={back}"))
                .send()
                .await
                .unwrap()
        }
    };
    let answer = sign_in("%2Fadmin%2Freturns").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let (path, token) = location
        .split_once("#token=")
        .expect("a token in the fragment");
    assert_eq!(path, "/admin/returns");
    let (status, cases) = json(app.get("/v1/cases", token).await).await;
    assert_eq!(status, StatusCode::OK, "the API takes the token: {cases}");
    let (status, _) = json(app.get("/v1/policy", token).await).await;
    assert_eq!(status, StatusCode::OK);

    for elsewhere in [
        "https%3A%2F%2Fevil.example%2F",
        "%2F%2Fevil.example",
        "%2Fv1%2Fcases",
    ] {
        let answer = sign_in(elsewhere).await;
        let location = answer.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/admin/#token="),
            "{elsewhere}: {location}"
        );
    }
}
