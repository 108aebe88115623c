//! The published contract (`shared/openapi.json`) against the code and the deployment: the
//! checked-in copy is what the code generates, every documented operation is served and
//! nothing else is on its paths, the SAM template deploys exactly the documented routes with
//! the documented authorizer, and every request example parses.

use std::collections::BTreeSet;

use aftersales::domain::identity::Role;
use aftersales::http::contract::Access;
use e2e::{StatusCode, TestApp, json};
use reqwest::Method;

fn operations() -> Vec<aftersales::http::Op> {
    local_gateway::gateway::operations()
}

fn repo_file(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    std::fs::read_to_string(format!("{root}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_checked_in_document_is_what_the_code_generates() {
    let generated = local_gateway::gateway::openapi_json();
    let checked_in = repo_file("shared/openapi.json");
    assert!(
        checked_in == generated,
        "shared/openapi.json differs from what the code generates: run `make openapi` and commit it"
    );
    // And the functions serve that very copy.
    assert_eq!(aftersales::http::contract::DOCUMENT, checked_in);
}

#[test]
fn every_request_example_parses_as_its_route_reads_it() {
    aftersales::http::examples::check_requests().expect("the examples parse");
}

/// A documented path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "AS2611-2012345678")
        .replace("{storefront}", "main")
        .replace("{order_id}", "820982911946154508")
}

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method_on_its_paths() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin, "contract-admin");
    let ops = operations();
    let paths: BTreeSet<&str> = ops.iter().map(|o| o.path).collect();
    for path in paths {
        let documented: BTreeSet<&str> = ops
            .iter()
            .filter(|o| o.path == path)
            .map(|o| o.method_name())
            .collect();
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let response = app
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &concrete(path),
                    &admin,
                )
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("an answer");
            let (status, body) = json(response).await;
            if documented.contains(method) {
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path}: {body}"
                );
                assert_ne!(
                    body["detail"], "no such resource",
                    "{method} {path} is documented but no router serves it"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is served but not documented: {body}"
                );
            }
        }
    }
}

/// `(METHOD, path, needs a token)` of every HttpApi event in the SAM template.
fn deployed_routes() -> BTreeSet<(String, String, bool)> {
    let template: serde_yaml::Value =
        serde_yaml::from_str(&repo_file("infra/template.yaml")).expect("the template parses");
    let mut routes = BTreeSet::new();
    for (_, resource) in template["Resources"].as_mapping().expect("resources") {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let p = &event["Properties"];
            let no_token = p["Auth"]["Authorizer"].as_str() == Some("NONE");
            routes.insert((
                p["Method"].as_str().expect("a method").to_uppercase(),
                p["Path"].as_str().expect("a path").to_owned(),
                !no_token,
            ));
        }
    }
    routes
}

/// Whether the template's `route` (which may hold `{parameters}`) serves `path`.
fn serves(route: &str, path: &str) -> bool {
    let (r, p): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), path.split('/').collect());
    r.len() == p.len()
        && r.iter()
            .zip(&p)
            .all(|(r, p)| r == p || (r.starts_with('{') && r.ends_with('}')))
}

#[test]
fn the_template_deploys_exactly_the_documented_routes_with_their_authorizer() {
    let deployed = deployed_routes();
    let ops = operations();
    for op in &ops {
        let needs_token = matches!(op.access, Access::Roles(_));
        let route = deployed
            .iter()
            .find(|(m, r, _)| m == op.method_name() && serves(r, op.path));
        let Some((_, route, token)) = route else {
            panic!(
                "{} {} is documented but not deployed",
                op.method_name(),
                op.path
            );
        };
        assert_eq!(
            *token,
            needs_token,
            "{} {} (deployed as {route}): the authorizer differs from the document",
            op.method_name(),
            op.path
        );
    }
    // The admin page's routes serve its files, not the API (tests/tests/admin.rs).
    for (method, route, _) in deployed.iter().filter(|(_, r, _)| !r.starts_with("/admin")) {
        assert!(
            ops.iter()
                .any(|op| op.method_name() == method && serves(route, op.path)),
            "{method} {route} is deployed but not documented"
        );
    }
}

#[tokio::test]
async fn the_document_is_served_without_a_token() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(format!("{}/v1/openapi.json", app.base))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    let (_, doc) = json(response).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let served: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let ops: BTreeSet<String> = operations()
        .iter()
        .map(|o| format!("{} {}", o.method_name(), o.path))
        .collect();
    assert_eq!(served, ops);
}

#[test]
fn the_document_links_a_filed_case_to_what_can_be_done_with_it() {
    let doc: serde_json::Value =
        serde_json::from_str(&local_gateway::gateway::openapi_json()).expect("JSON");
    let links = doc["paths"]["/v1/cases"]["post"]["responses"]["201"]["links"]
        .as_object()
        .expect("links from a filed case");
    let targets: BTreeSet<&str> = links
        .values()
        .map(|l| l["operationId"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            "readCase",
            "addEvidence",
            "cancelCase",
            "returnStep",
            "askUpload"
        ])
    );
    assert_eq!(links["readCase"]["parameters"]["id"], "$response.body#/id");
    let upload = &doc["paths"]["/v1/cases/{id}/uploads"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        upload["attachUpload"]["parameters"]["upload"],
        "$response.body#/upload_id"
    );
    // Every link names an operation the document has.
    let operation_ids: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for response in op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values())
            {
                for link in response["links"]
                    .as_object()
                    .into_iter()
                    .flat_map(|l| l.values())
                {
                    let to = link["operationId"].as_str().unwrap();
                    assert!(
                        operation_ids.contains(to),
                        "a link to {to}, which is not documented"
                    );
                }
            }
        }
    }
}
