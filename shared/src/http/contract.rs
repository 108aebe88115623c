//! The published contract: every route is registered here with its OpenAPI operation, so the
//! routers and the document (`shared/openapi.json`, served at `GET /v1/openapi.json`) come from
//! one list and cannot drift apart.
//!
//! A function builds an [`Api`] (its routes, each with an [`Op`]) and turns it into its axum
//! router; the local gateway gathers every function's operations into one [`document`]. The
//! bodies' schemas are derived (`utoipa::ToSchema`) from the very types the handlers parse and
//! answer; who may call is read from the access table (`domain::access::roles`); every failure
//! status is the problem+json body that [`super::ApiError`] writes.

use std::collections::BTreeSet;

use axum::Router;
use axum::routing::MethodRouter;
use serde_json::{Value, json};
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem,
    PathsBuilder, Ref, RefOr, Required, Schema,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::problem::{PROBLEM_JSON, Problem};
use crate::domain::access::{self, Action};
use crate::domain::identity::Role;

/// The published document, as checked in: what `GET /v1/openapi.json` answers. A test holds it
/// equal to what the code generates (`make openapi` writes it again).
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// The security scheme of every route behind the JWT authorizer.
pub const BEARER: &str = "cognito";

/// `GET /v1/openapi.json`: the contract itself (no token).
pub async fn serve_document() -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        DOCUMENT,
    )
        .into_response()
}

/// The operation of the document's own route.
pub fn document_op() -> Op {
    Op::new("getOpenApi", "The API's OpenAPI 3.1 document")
        .tag("contract")
        .public()
        .answers_any(200, "The document", json!({"openapi": "3.1.0"}))
}

/// Who may call a route, as the document says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No token: anyone.
    Public,
    /// No token; the body is verified with the storefront's secret (named headers).
    Signed,
    /// A Cognito token of one of these roles (a customer is a user in no group).
    Roles(Vec<Role>),
}

/// One route's operation: the method and path it is served at, and what the document says.
#[derive(Clone)]
pub struct Op {
    pub method: Option<HttpMethod>,
    pub path: &'static str,
    pub access: Access,
    operation: Operation,
    schemas: Vec<(String, RefOr<Schema>)>,
    problems: BTreeSet<u16>,
}

impl Op {
    pub fn new(id: &str, summary: &str) -> Self {
        Self {
            method: None,
            path: "",
            access: Access::Public,
            operation: OperationBuilder::new()
                .operation_id(Some(id))
                .summary(Some(summary))
                .build(),
            schemas: Vec::new(),
            problems: BTreeSet::from([500]),
        }
    }

    /// The HTTP method, upper case (`GET`).
    pub fn method_name(&self) -> &'static str {
        match self.method {
            Some(HttpMethod::Post) => "POST",
            Some(HttpMethod::Put) => "PUT",
            Some(HttpMethod::Delete) => "DELETE",
            Some(HttpMethod::Patch) => "PATCH",
            Some(HttpMethod::Head) => "HEAD",
            Some(HttpMethod::Options) => "OPTIONS",
            Some(HttpMethod::Trace) => "TRACE",
            Some(HttpMethod::Get) | None => "GET",
        }
    }

    /// A link from this operation's `status` answer to the operation `to`, each parameter
    /// taken from the answer (`$response.body#/id`): a client (and the contract's generator)
    /// can follow it, e.g. file a case, then read it and act on it.
    pub fn link(mut self, status: u16, to: &str, parameters: &[(&str, &str)]) -> Self {
        let mut link = utoipa::openapi::link::LinkBuilder::new().operation_id(to);
        for (name, from) in parameters {
            link = link.parameter(*name, *from);
        }
        if let Some(RefOr::T(response)) = self
            .operation
            .responses
            .responses
            .get_mut(&status.to_string())
        {
            response.links.insert(to.to_owned(), RefOr::T(link.build()));
        }
        self
    }

    pub fn tag(mut self, tag: &str) -> Self {
        self.operation = OperationBuilder::from(self.operation).tag(tag).build();
        self
    }

    pub fn describe(mut self, text: &str) -> Self {
        self.operation = OperationBuilder::from(self.operation)
            .description(Some(text))
            .build();
        self
    }

    pub fn public(mut self) -> Self {
        self.access = Access::Public;
        self
    }

    /// Behind the JWT authorizer, open to the roles the access table gives `actions`: 401
    /// without a valid token, 403 for a role the table refuses.
    pub fn allowed(mut self, actions: &[Action]) -> Self {
        let mut roles: Vec<Role> = Vec::new();
        for action in actions {
            // A token names people; the system's own role is never granted by one.
            for role in access::roles(*action) {
                if Role::PEOPLE.contains(role) && !roles.contains(role) {
                    roles.push(*role);
                }
            }
        }
        roles.sort_by_key(|r| Role::PEOPLE.iter().position(|x| x == r));
        self.access = Access::Roles(roles);
        self.problems.extend([401, 403, 503]);
        self
    }

    /// Verified by a storefront's signature in `headers` (name, what it holds): 401 otherwise.
    pub fn signed(mut self, headers: &[(&str, &str)]) -> Self {
        self.access = Access::Signed;
        for (name, what) in headers {
            self = self.header(name, what, true);
        }
        self.problems.extend([401, 503]);
        self
    }

    pub fn header(mut self, name: &str, what: &str, required: bool) -> Self {
        self.operation = OperationBuilder::from(self.operation)
            .parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Header)
                    .required(if required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .description(Some(what))
                    .schema(Some(String::schema())),
            )
            .build();
        self
    }

    /// A path parameter (a string); an unknown value is a 404.
    pub fn path_param(mut self, name: &str, what: &str, example: &str) -> Self {
        self.operation = OperationBuilder::from(self.operation)
            .parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some(what))
                    .schema(Some(String::schema()))
                    .example(Some(json!(example))),
            )
            .build();
        self.problems.insert(404);
        self
    }

    /// The query parameters `Q` parses (a bad one is a 400).
    pub fn query<Q: IntoParams>(mut self) -> Self {
        for p in Q::into_params(|| Some(ParameterIn::Query)) {
            self.operation = OperationBuilder::from(self.operation).parameter(p).build();
        }
        self.problems.insert(400);
        self
    }

    /// A JSON body of type `B`, with an example: malformed is 400, too large 413, another
    /// media type 415.
    pub fn body<B: ToSchema>(mut self, required: bool, example: Value) -> Self {
        B::schemas(&mut self.schemas);
        self.schemas.push((B::name().into_owned(), B::schema()));
        self.operation = OperationBuilder::from(self.operation)
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(if required {
                        Required::True
                    } else {
                        Required::False
                    }))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(B::name())))
                            .example(Some(example))
                            .build(),
                    )
                    .build(),
            ))
            .build();
        self.problems.extend([400, 413, 415]);
        self
    }

    /// A raw body of any media type (a storefront's payload is verified before it is parsed).
    pub fn raw_body(mut self, what: &str) -> Self {
        self.operation = OperationBuilder::from(self.operation)
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .description(Some(what))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(utoipa::openapi::ObjectBuilder::new()))
                            .build(),
                    )
                    .build(),
            ))
            .build();
        self.problems.extend([400, 413]);
        self
    }

    /// A success answer with a body of type `T` and an example.
    pub fn answers<T: ToSchema>(mut self, status: u16, what: &str, example: Value) -> Self {
        T::schemas(&mut self.schemas);
        self.schemas.push((T::name().into_owned(), T::schema()));
        self.answers_inline(
            status,
            what,
            Ref::from_schema_name(T::name()).into(),
            example,
        )
    }

    /// A success answer that is a list of `T`s.
    pub fn answers_list<T: ToSchema>(mut self, what: &str, example: Value) -> Self {
        T::schemas(&mut self.schemas);
        self.schemas.push((T::name().into_owned(), T::schema()));
        let list =
            utoipa::openapi::schema::ArrayBuilder::new().items(Ref::from_schema_name(T::name()));
        self.answers_inline(200, what, list.into(), example)
    }

    /// A success answer that is a web page (`text/html`).
    pub fn answers_html(mut self, what: &str) -> Self {
        self.operation = OperationBuilder::from(self.operation)
            .response(
                "200",
                ResponseBuilder::new().description(what).content(
                    "text/html",
                    ContentBuilder::new()
                        .schema(Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::Type::String),
                        ))
                        .build(),
                ),
            )
            .build();
        self
    }

    /// A success answer that is one page of `T`s ([`crate::store::Page`]).
    pub fn answers_page<T: ToSchema>(mut self, what: &str, example: Value) -> Self {
        T::schemas(&mut self.schemas);
        self.schemas.push((T::name().into_owned(), T::schema()));
        let page = utoipa::openapi::ObjectBuilder::new()
            .property(
                "items",
                utoipa::openapi::schema::ArrayBuilder::new()
                    .items(Ref::from_schema_name(T::name())),
            )
            .required("items")
            .property(
                "next_cursor",
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some("Where the next page starts (absent on the last page)")),
            )
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        self.answers_inline(200, what, page.into(), example)
    }

    /// A success answer whose body's schema is given inline.
    pub fn answers_inline(
        mut self,
        status: u16,
        what: &str,
        schema: RefOr<Schema>,
        example: Value,
    ) -> Self {
        self.operation = OperationBuilder::from(self.operation)
            .response(
                status.to_string(),
                ResponseBuilder::new().description(what).content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(schema))
                        .example(Some(example))
                        .build(),
                ),
            )
            .build();
        self
    }

    fn answers_any(self, status: u16, what: &str, example: Value) -> Self {
        self.answers_inline(
            status,
            what,
            utoipa::openapi::ObjectBuilder::new().into(),
            example,
        )
    }

    /// Failures this route answers besides the ones its parts imply: 409 (the record's state,
    /// or a lost race) and 422 (a business rule), each naming its `rule`.
    pub fn refuses(mut self, statuses: &[u16]) -> Self {
        self.problems.extend(statuses);
        self
    }

    fn at(mut self, method: HttpMethod, path: &'static str) -> Self {
        self.method = Some(method);
        self.path = path;
        self
    }

    /// The finished operation, with its failures and the roles it admits.
    fn operation(&self) -> Operation {
        let mut op = OperationBuilder::from(self.operation.clone());
        for status in &self.problems {
            op = op.response(status.to_string(), problem_response(*status));
        }
        match &self.access {
            Access::Roles(roles) => {
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                op = op
                    .security(SecurityRequirement::new(BEARER, Vec::<String>::new()))
                    .extensions(Some(
                        utoipa::openapi::extensions::ExtensionsBuilder::new()
                            .add("x-roles", json!(names))
                            .build(),
                    ));
            }
            Access::Public | Access::Signed => {
                op = op.securities(Some(Vec::new()));
            }
        }
        op.build()
    }
}

/// The problem+json answer of `status`, with the `type` values it can carry.
fn problem_response(status: u16) -> RefOr<utoipa::openapi::Response> {
    let (what, types): (&str, &[&str]) = match status {
        400 => (
            "Malformed: a field, parameter or cursor that does not parse (each named in `invalid-params`)",
            &["/problems/bad-request"],
        ),
        401 => (
            "No valid token, or a storefront signature that does not verify",
            &["/problems/unauthorized"],
        ),
        403 => (
            "The caller's role may not do this (the access table)",
            &["/problems/forbidden"],
        ),
        404 => (
            "No such record, or one the caller may not see",
            &["/problems/not-found"],
        ),
        409 => (
            "The record's current state does not allow it (`rule` names why), or another change got there first",
            &["/problems/conflict", "/problems/rule/{rule}"],
        ),
        413 => ("The body is too large", &["/problems/payload-too-large"]),
        415 => (
            "The body is not `application/json`",
            &["/problems/unsupported-media-type"],
        ),
        422 => (
            "A business rule refused the request (`rule` names it)",
            &["/problems/rule/{rule}"],
        ),
        503 => (
            "The database is busy or unreachable: retry after `Retry-After` seconds",
            &["/problems/unavailable"],
        ),
        _ => (
            "Internal error (the cause is logged)",
            &["/problems/internal"],
        ),
    };
    ResponseBuilder::new()
        .description(what)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(Problem::name())))
                .example(Some(json!({
                    "type": types[0],
                    "title": what,
                    "status": status,
                    "detail": what,
                })))
                .build(),
        )
        .into()
}

/// Whether an [`Api`] keeps its operations: [`WithDocs`] for the document (the local gateway,
/// `make openapi`, the tests), [`RoutesOnly`] for a Lambda's router. A Lambda never builds the
/// document's schemas and examples at cold start, and, as it never calls an operation's
/// closure, never links them either.
pub trait Docs {
    fn keep(op: impl FnOnce() -> Op) -> Option<Op>;
}

/// Keeps each operation.
pub struct WithDocs;
impl Docs for WithDocs {
    fn keep(op: impl FnOnce() -> Op) -> Option<Op> {
        Some(op())
    }
}

/// Drops each operation unbuilt.
pub struct RoutesOnly;
impl Docs for RoutesOnly {
    fn keep(_: impl FnOnce() -> Op) -> Option<Op> {
        None
    }
}

/// A function's routes and their operations, declared together.
pub struct Api<S, D = WithDocs> {
    routes: Vec<(&'static str, MethodRouter<S>)>,
    ops: Vec<Op>,
    docs: std::marker::PhantomData<D>,
}

impl<S: Clone + Send + Sync + 'static, D: Docs> Default for Api<S, D> {
    fn default() -> Self {
        Self {
            routes: Vec::new(),
            ops: Vec::new(),
            docs: std::marker::PhantomData,
        }
    }
}

impl<S: Clone + Send + Sync + 'static, D: Docs> Api<S, D> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(self, path: &'static str, route: MethodRouter<S>, op: impl FnOnce() -> Op) -> Self {
        self.add(HttpMethod::Get, path, route, op)
    }

    pub fn post(self, path: &'static str, route: MethodRouter<S>, op: impl FnOnce() -> Op) -> Self {
        self.add(HttpMethod::Post, path, route, op)
    }

    pub fn put(self, path: &'static str, route: MethodRouter<S>, op: impl FnOnce() -> Op) -> Self {
        self.add(HttpMethod::Put, path, route, op)
    }

    fn add(
        mut self,
        method: HttpMethod,
        path: &'static str,
        route: MethodRouter<S>,
        op: impl FnOnce() -> Op,
    ) -> Self {
        self.routes.push((path, route));
        if let Some(op) = D::keep(op) {
            self.ops.push(op.at(method, path));
        }
        self
    }

    /// The operations alone (for the document).
    pub fn operations(self) -> Vec<Op> {
        self.ops
    }

    /// The router (a method a path does not serve is a problem+json 405) and the operations.
    pub fn into_parts(self) -> (Router<S>, Vec<Op>) {
        let mut paths: Vec<(&'static str, MethodRouter<S>)> = Vec::new();
        for (path, route) in self.routes {
            match paths.iter_mut().find(|(p, _)| *p == path) {
                Some((_, existing)) => {
                    let merged = std::mem::replace(existing, MethodRouter::new()).merge(route);
                    *existing = merged;
                }
                None => paths.push((path, route)),
            }
        }
        let router = paths
            .into_iter()
            .fold(Router::new(), |router, (path, route)| {
                router.route(path, route.fallback(super::problem::method_not_allowed))
            });
        (router, self.ops)
    }
}

/// The whole API's document from every function's operations.
pub fn document(ops: &[Op]) -> OpenApi {
    let mut schemas: Vec<(String, RefOr<Schema>)> =
        vec![(Problem::name().into_owned(), Problem::schema())];
    <Problem as ToSchema>::schemas(&mut schemas);
    let mut paths = PathsBuilder::new();
    let mut seen: Vec<&str> = Vec::new();
    for path in ops.iter().map(|o| o.path) {
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        let mut item: Option<PathItem> = None;
        for op in ops.iter().filter(|o| o.path == path) {
            let method = op.method.clone().unwrap_or(HttpMethod::Get);
            let one = PathItem::new(method, op.operation());
            match &mut item {
                Some(existing) => existing.merge_operations(one),
                None => item = Some(one),
            }
            schemas.extend(op.schemas.iter().cloned());
        }
        if let Some(item) = item {
            paths = paths.path(path, item);
        }
    }
    // One schema per name (types used by many routes are collected once each), sorted so the
    // document is the same however the routes are ordered.
    schemas.sort_by(|a, b| a.0.cmp(&b.0));
    schemas.dedup_by(|a, b| a.0 == b.0);
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An ID token of the Cognito user pool. Its `cognito:groups` claim is the \
                         caller's role (a user in no group is a customer); each operation's \
                         `x-roles` lists the roles it admits.",
                    ))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .servers(Some([utoipa::openapi::ServerBuilder::new()
            .url("/")
            .description(Some(
                "Where this document is served from: the HTTP API in AWS, or `make dev` on \
                 http://127.0.0.1:3000",
            ))
            .build()]))
        .info(
            InfoBuilder::new()
                .title("After-sales service back office")
                .version(env!("CARGO_PKG_VERSION"))
                .license(Some(
                    utoipa::openapi::LicenseBuilder::new()
                        .name("Proprietary")
                        .identifier(Some("LicenseRef-Proprietary"))
                        .build(),
                ))
                .description(Some(
                    "Cases, entitlements, returns and refunds, storefront orders and webhooks, \
                     and the merchant's policy. Money is in integer minor units; every failure \
                     is RFC 9457 problem+json whose `type` says what failed and, for a business \
                     rule, whose `rule` names it.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .security(Some(vec![SecurityRequirement::new(
            BEARER,
            Vec::<String>::new(),
        )]))
        .build()
}

/// The document as written to `shared/openapi.json`: pretty, with a final newline.
pub fn document_json(ops: &[Op]) -> String {
    let mut doc = serde_json::to_value(document(ops)).unwrap_or(Value::Null);
    close_all_of(&mut doc);
    drop_unused_schemas(&mut doc);
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Drops the schemas that nothing refers to any more (a closed `allOf` inlines its part).
fn drop_unused_schemas(doc: &mut Value) {
    fn refs(node: &Value, out: &mut BTreeSet<String>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref")
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.insert(name.to_owned());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut used = BTreeSet::new();
    if let Some(paths) = doc.get("paths") {
        refs(paths, &mut used);
    }
    let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") else {
        return;
    };
    loop {
        let mut more = BTreeSet::new();
        for name in &used {
            if let Some(schema) = schemas.get(name) {
                refs(schema, &mut more);
            }
        }
        let before = used.len();
        used.extend(more);
        if used.len() == before {
            break;
        }
    }
    schemas.retain(|name, _| used.contains(name));
}

/// A body type that refuses unknown fields (`deny_unknown_fields`: `additionalProperties:
/// false`) inside an internally tagged enum comes out as `allOf: [{$ref}, {the tag}]`, which
/// no value satisfies (each part refuses the other's fields). Such an `allOf` is written as
/// the one closed object it means: the properties and required fields of both.
fn close_all_of(doc: &mut Value) {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    fn walk(node: &mut Value, schemas: &Value) {
        match node {
            Value::Object(map) => {
                if let Some(Value::Array(parts)) = map.get("allOf") {
                    let resolved: Vec<Value> = parts
                        .iter()
                        .map(|p| match p.get("$ref").and_then(Value::as_str) {
                            Some(r) => r
                                .strip_prefix("#/components/schemas/")
                                .and_then(|name| schemas.get(name))
                                .cloned()
                                .unwrap_or(Value::Null),
                            None => p.clone(),
                        })
                        .collect();
                    let closed = resolved
                        .iter()
                        .any(|p| p.get("additionalProperties") == Some(&Value::Bool(false)));
                    let plain = resolved.iter().all(|p| {
                        p.get("type") == Some(&json!("object"))
                            && p.get("allOf").is_none()
                            && p.get("oneOf").is_none()
                    });
                    if closed && plain {
                        let mut properties = serde_json::Map::new();
                        let mut required: Vec<Value> = Vec::new();
                        let mut description = None;
                        for part in &resolved {
                            if let Some(Value::Object(p)) = part.get("properties") {
                                properties.extend(p.clone());
                            }
                            if let Some(Value::Array(r)) = part.get("required") {
                                required.extend(
                                    r.iter()
                                        .filter(|x| !required.contains(x))
                                        .cloned()
                                        .collect::<Vec<_>>(),
                                );
                            }
                            description = description.or_else(|| part.get("description").cloned());
                        }
                        map.remove("allOf");
                        map.insert("type".into(), json!("object"));
                        map.insert("properties".into(), Value::Object(properties));
                        map.insert("required".into(), Value::Array(required));
                        map.insert("additionalProperties".into(), Value::Bool(false));
                        if let Some(d) = description {
                            map.entry("description").or_insert(d);
                        }
                    }
                }
                for v in map.values_mut() {
                    walk(v, schemas);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, schemas)),
            _ => {}
        }
    }
    walk(doc, &schemas);
}
