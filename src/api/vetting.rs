//! Checks an agent's message with its platform before it is accepted, for the rules
//! only the platform can answer (Shopify: the discount code is active, SH-DISC-1; the
//! products are published, SH-PROD-1). The adapter asks over its API; a refusal is a
//! 422 naming the rule, like any rule; the platform not answering is a 503 (try again).
//! Shops without a connection cannot be asked and are not checked.

use super::AppState;
use super::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use shopmux_core::CoreError;
use shopmux_core::content::MessageContent;
use shopmux_core::ids::ShopId;

/// Fails when the platform refuses `content` in this shop.
pub async fn vet(
    app: &AppState,
    shop_id: ShopId,
    platform: &str,
    content: &MessageContent,
) -> ApiResult<()> {
    let Some(adapter) = app.adapters.get(platform).cloned() else {
        return Ok(());
    };
    let Some(connection) = app.inbox.shop_connection(shop_id).await? else {
        return Ok(());
    };
    let rules = app.inbox.shop_rules(shop_id).await?;
    let content = serde_json::to_value(content).unwrap_or_default();
    let host = app.host.for_platform(adapter.platform());
    let verdict = tokio::task::spawn_blocking(move || {
        adapter.vet_outbound(&host, &connection, &content, &rules)
    })
    .await
    .map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the adapter stopped",
        )
    })?;
    match verdict {
        Ok(None) => Ok(()),
        Ok(Some(refusal)) => Err(CoreError::RuleViolation(shopmux_core::rules::Refusal {
            rule: refusal.rule,
            message: refusal.message,
            window_closed_at: None,
        })
        .into()),
        Err(e) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "platform_unavailable",
            format!("{platform} could not check the message; try again ({e})"),
        )),
    }
}
