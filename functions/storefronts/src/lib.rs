//! Storefronts: the deliveries of Shopify, WooCommerce and any Standard Webhooks sender, each
//! verified and applied once, and the orders they bring, as their customers and staff read
//! them.
//!
//! | route                                | who                                  |
//! |--------------------------------------|--------------------------------------|
//! | `POST /v1/webhooks/{shopify,woocommerce,generic}` | storefronts (signed bodies, no token) |
//! | `GET  /v1/orders`, `GET /v1/orders/{storefront}/{id}` | the order's customer, staff |

mod orders;
mod webhooks;

pub use webhooks::MAX_WEBHOOK_BYTES;

use std::sync::Arc;

use aftersales::clock::SharedClock;
use aftersales::domain::access::Action;
use aftersales::http::contract::{Docs, RoutesOnly};
use aftersales::http::{Api, Op, examples};
use aftersales::http::{App, problem};
use aftersales::policy_cache::PolicyCache;
use aftersales::store::OrderSummary;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use axum::Router;
use axum::routing::{get, post};

pub(crate) use aftersales::http::retry_on_conflict;

/// What every handler shares, with the connected storefronts and their webhook secrets.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub policy: PolicyCache,
    pub clock: SharedClock,
    pub storefronts: Arc<Storefronts>,
}

impl AppState {
    pub fn new(app: App, storefronts: Storefronts) -> Self {
        Self {
            store: app.store,
            policy: app.policy,
            clock: app.clock,
            storefronts: Arc::new(storefronts),
        }
    }
}

/// The function's router as its Lambda serves it: its routes, and problem+json 404s.
pub fn router(state: AppState) -> Router {
    routes(state).fallback(problem::not_found)
}

/// The function's routes alone, to merge with others' behind one gateway.
pub fn routes(state: AppState) -> Router {
    api::<RoutesOnly>().into_parts().0.with_state(state)
}

/// The function's routes, each with its operation in the published contract (built only
/// `WithDocs`: a Lambda's router is `RoutesOnly`).
pub fn api<D: Docs>() -> Api<AppState, D> {
    let order_example = || {
        let policy = aftersales::domain::policy::Policy::default();
        let today = aftersales::domain::case::merchant_date(examples::now(), &policy);
        serde_json::to_value(orders::OrderView::new(
            examples::order(),
            Vec::new(),
            0,
            Vec::new(),
            today,
            &policy,
        ))
        .unwrap_or_default()
    };
    let webhook = |id: &str, summary: &str, what: &str, headers: &[(&str, &str)]| {
        Op::new(id, summary)
            .tag("webhooks")
            .describe(what)
            .signed(headers)
            .raw_body("The storefront's payload, verified over its raw bytes before it is read")
            .answers::<webhooks::Answer>(
                200,
                "Acknowledged: applied, a duplicate, stale or ignored",
                serde_json::json!({"outcome": "applied", "case_id": "AS2611-2012345678"}),
            )
            .refuses(&[409])
    };
    Api::new()
        .get(
            "/v1/orders",
            get(orders::list),
            || Op::new("listOrders", "Storefront orders: a customer's own, or one customer's for staff")
                .tag("orders")
                .allowed(&[Action::ReadOrders])
                .query::<orders::ListParams>()
                .answers_page::<OrderSummary>("One page, newest first", examples::order_page())
                .link(
                    200,
                    "readOrder",
                    &[
                        ("storefront", "$response.body#/items/0/storefront"),
                        ("order_id", "$response.body#/items/0/order_id"),
                    ],
                ),
        )
        .get(
            "/v1/orders/{storefront}/{order_id}",
            get(orders::read),
            || Op::new("readOrder", "An order with what each line is owed today")
                .tag("orders")
                .allowed(&[Action::ReadOrders])
                .path_param("storefront", "The configured storefront", "main")
                .path_param("order_id", "The storefront's order id", "820982911946154508")
                .answers::<orders::OrderView>(200, "The order", order_example()),
        )
        .post(
            "/v1/webhooks/shopify",
            post(webhooks::shopify),
            || webhook(
                "shopifyWebhook",
                "A Shopify webhook",
                "orders/create|paid|fulfilled|partially_fulfilled|updated|cancelled, refunds/create, returns/request, returns/cancel and the other returns/* topics. De-duplicated on `X-Shopify-Event-Id`.",
                &[
                    ("X-Shopify-Hmac-Sha256", "Base64 HMAC-SHA256 of the raw body with the shop's webhook secret"),
                    ("X-Shopify-Shop-Domain", "The shop, e.g. example.myshopify.com"),
                    ("X-Shopify-Topic", "e.g. orders/create"),
                    ("X-Shopify-Event-Id", "The event's id, the same on every retry"),
                ],
            ),
        )
        .post(
            "/v1/webhooks/woocommerce",
            post(webhooks::woocommerce),
            || webhook(
                "woocommerceWebhook",
                "A WooCommerce webhook",
                "order.created|updated|deleted (REST v3 order; refunds within). An unsigned form-encoded ping is answered 200.",
                &[
                    ("X-WC-Webhook-Signature", "Base64 HMAC-SHA256 of the raw body with the webhook's secret"),
                    ("X-WC-Webhook-Source", "The store's URL"),
                    ("X-WC-Webhook-Topic", "e.g. order.updated"),
                    ("X-WC-Webhook-ID", "The webhook's id"),
                ],
            ),
        )
        .post(
            "/v1/webhooks/generic",
            post(webhooks::generic),
            || webhook(
                "genericWebhook",
                "A Standard Webhooks event from any other storefront",
                "Our JSON events (order.upserted, refund.created, return.requested, return.changed), signed as Standard Webhooks specify: within 5 minutes of `webhook-timestamp`.",
                &[
                    ("webhook-id", "The message id, the same on every retry"),
                    ("webhook-timestamp", "Seconds since the epoch"),
                    ("webhook-signature", "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, space-separated when rotating; it names the sender among the generic storefronts"),
                ],
            ),
        )
}
