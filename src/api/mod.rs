//! The HTTP API: `/api/v1` (JSON and a WebSocket stream), the health endpoints, and the
//! OpenAPI document generated from the handlers' annotations (every route is
//! registered through `utoipa-axum`, so a route without a description cannot exist).

pub mod actions;
pub mod agents;
pub mod buyers;
pub mod compliance;
pub mod connect;
pub mod conversations;
pub mod cookie;
pub mod doc;
pub mod doc_exact;
pub mod error;
pub mod extract;
pub mod faq_bot;
pub mod health;
pub mod metrics;
pub mod plugins;
pub mod presence;
pub mod quick_replies;
pub mod ratings;
pub mod service_data;
pub mod service_levels;
pub mod session;
pub mod shops;
pub mod socket;
pub mod storefront;
pub mod storefront_bot;
pub mod storefront_chat;
pub mod storefront_cors;
pub mod storefront_reads;
pub mod stream;
pub mod stream_hub;
pub mod translation;
pub mod webhook_endpoints;
pub mod webhooks;
pub mod wire;
pub mod workbench;
pub mod ws_upgrade;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use error::ApiError;
use shopmux_core::Inbox;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The inbox engine.
    pub inbox: Arc<Inbox>,
    /// The live streams' hub.
    pub hub: Arc<stream_hub::StreamHub>,
    /// The WebSockets' keep-alive and shutdown signal.
    pub sockets: socket::SocketPolicy,
    /// The daemon's counters.
    pub metrics: Arc<metrics::Metrics>,
    /// The storefront chat's live customers.
    pub storefront: Arc<crate::storefront::Storefront>,
    /// When the session cookie is `Secure` (`server.secure_cookies`).
    pub secure_cookies: crate::config::SecureCookies,
    /// The sign-in rate limits.
    pub sign_in_limits: Arc<crate::sign_in_limits::SignInLimits>,
    /// The API's rate limit per account.
    pub api_limits: Arc<crate::rate_limit::ApiLimits>,
    /// The configured plugin libraries, loaded or refused at start.
    pub plugins: Arc<Vec<crate::plugins::PluginStatus>>,
    /// One-click shop connections: the public address and the apps.
    pub connect: Arc<crate::config::ConnectConfig>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "shopmux", description = "One inbox for the buyer chats of many marketplace shops."),
    modifiers(&BearerAuth),
    security(("bearer" = []), ("cookie" = [])),
    components(schemas(error::ErrorBody)),
    tags(
        (name = "shops", description = "Shops and the api channel"),
        (name = "agents", description = "Accounts, grants, passwords and web sessions"),
        (name = "conversations", description = "The inbox"),
        (name = "buyers", description = "Buyers and internal notes"),
        (name = "quick_replies", description = "Quick replies: an account's own and the shops' sets"),
        (name = "stream", description = "Live events"),
        (name = "webhooks", description = "Marketplace webhooks (signed by the platform)"),
        (name = "integrations", description = "Outbound webhooks to the seller's own systems (main account)"),
        (name = "storefront", description = "The storefront chat of shops whose platform offers one (customer side)"),
        (name = "operations", description = "Health"),
        (name = "service_data", description = "Service figures per shop, agent and platform (TT-DATA-*, DY-QA-*)"),
        (name = "translation", description = "Translation of messages and drafts"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The browser's web session (`POST /api/v1/session`); writes with it also need
        // the session's `X-CSRF-Token`.
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(cookie::COOKIE))),
        );
        // `/metrics` when `access.metrics_token` is set.
        components.add_security_scheme(
            "metrics",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The router, serving its own OpenAPI document at `/api/v1/openapi.json`.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let state_platforms: Vec<_> = state.inbox.registry().platforms().cloned().collect();
    let cors_state = state.clone();
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(webhooks::receive))
        .routes(routes!(connect::app_webhook))
        .routes(routes!(connect::callback))
        .routes(routes!(connect::start))
        .routes(routes!(connect::connectable))
        .routes(routes!(connect::privacy_requests))
        .routes(routes!(connect::privacy_request))
        .routes(routes!(storefront::start_session))
        .routes(routes!(storefront::request_email_code))
        .routes(routes!(storefront::confirm_email))
        .routes(routes!(storefront::start_proxied_session))
        .routes(routes!(storefront_chat::chat))
        .routes(routes!(storefront::widget))
        .routes(routes!(storefront_reads::widget_settings))
        .routes(routes!(storefront_reads::history))
        .routes(routes!(storefront_reads::proxied_widget_settings))
        .routes(routes!(storefront_reads::proxied_history))
        .routes(routes!(shops::get_connection, shops::set_connection))
        .routes(routes!(shops::create_shop, shops::list_shops))
        .routes(routes!(shops::get_shop))
        .routes(routes!(shops::rotate_secret))
        .routes(routes!(shops::shop_rules))
        .routes(routes!(shops::set_settings))
        .routes(routes!(shops::inbound))
        .routes(routes!(faq_bot::get_bot, faq_bot::set_bot))
        .routes(routes!(faq_bot::list_questions, faq_bot::create_question))
        .routes(routes!(faq_bot::update_question, faq_bot::delete_question))
        .routes(routes!(session::sign_in, session::get_session, session::sign_out))
        .routes(routes!(agents::me))
        .routes(routes!(presence::get_presence, presence::set_presence))
        .routes(routes!(presence::team))
        .routes(routes!(plugins::list))
        .routes(routes!(shops::queue))
        .routes(routes!(agents::create_agent, agents::list_agents))
        .routes(routes!(agents::get_agent))
        .routes(routes!(agents::set_grants))
        .routes(routes!(agents::set_password))
        .routes(routes!(agents::deactivate))
        .routes(routes!(agents::reactivate))
        .routes(routes!(agents::revoke_token, agents::replace_token))
        .routes(routes!(conversations::list))
        .routes(routes!(conversations::counts))
        .routes(routes!(conversations::get))
        .routes(routes!(conversations::messages, conversations::reply))
        .routes(routes!(conversations::retry))
        .routes(routes!(ratings::invite))
        .routes(routes!(ratings::list))
        .routes(routes!(compliance::check))
        .routes(routes!(actions::read))
        .routes(routes!(actions::unread))
        .routes(routes!(actions::flag, actions::unflag))
        .routes(routes!(actions::end))
        .routes(routes!(actions::close))
        .routes(routes!(actions::reopen))
        .routes(routes!(actions::assign))
        .routes(routes!(actions::transfer))
        .routes(routes!(actions::unassign))
        .routes(routes!(workbench::customer))
        .routes(routes!(workbench::workbench))
        .routes(routes!(workbench::products))
        .routes(routes!(buyers::get_buyer))
        .routes(routes!(buyers::list_notes, buyers::add_note))
        .routes(routes!(buyers::edit_note, buyers::delete_note))
        .routes(routes!(buyers::initiate))
        .routes(routes!(quick_replies::list, quick_replies::create))
        .routes(routes!(quick_replies::reorder))
        .routes(routes!(quick_replies::update, quick_replies::delete))
        .routes(routes!(quick_replies::render))
        .routes(routes!(webhook_endpoints::list, webhook_endpoints::create))
        .routes(routes!(webhook_endpoints::get, webhook_endpoints::delete))
        .routes(routes!(webhook_endpoints::rotate_secret))
        .routes(routes!(webhook_endpoints::pause))
        .routes(routes!(webhook_endpoints::resume))
        .routes(routes!(webhook_endpoints::ping))
        .routes(routes!(webhook_endpoints::deliveries))
        .routes(routes!(webhook_endpoints::send_again))
        .routes(routes!(stream::stream))
        .routes(routes!(service_levels::report))
        .routes(routes!(service_data::figures))
        .routes(routes!(service_data::export))
        .routes(routes!(service_data::series))
        .routes(routes!(service_data::ratings))
        .routes(routes!(service_data::mine))
        .routes(routes!(translation::set_language))
        .routes(routes!(translation::get_translation, translation::set_translation))
        .routes(routes!(translation::translate_draft))
        .routes(routes!(translation::usage))
        .routes(routes!(
            translation::get_budget,
            translation::set_budget,
            translation::reset_budget
        ))
        .with_state(state)
        .split_for_parts();
    let platforms: Vec<String> = state_platforms.iter().map(ToString::to_string).collect();
    let document = serde_json::to_value(&openapi)
        .map(|doc| doc_exact::exact(doc, &platforms))
        .unwrap_or_default();
    let openapi_json = Arc::new(serde_json::to_string_pretty(&document).unwrap_or_default());
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let body = openapi_json.clone();
                async move {
                    ([(axum::http::header::CONTENT_TYPE, "application/json")], (*body).clone())
                }
            }),
        )
        .fallback(|| async { ApiError::no_route() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
            .into_response()
        })
        .layer(axum::middleware::from_fn_with_state(cors_state, storefront_cors::storefront_cors))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
