//! What the storefront widget reads besides its chat socket: the shop's widget settings
//! (launcher corner, colour, label, and the greeting and FAQ list in the customer's
//! language, DY-GREET-1), the store origins allowed to call the daemon cross-origin, and
//! the customer's own conversation, a page at a time by cursor, so it survives reloads
//! and shows replies that arrived while the customer was away. Both may also come
//! through the shop's app proxy (its signed query checked as for sessions). A session token answers
//! only for its own buyer; an unknown token, shop or cursor owner reads nothing.

use crate::domain::faq_bot::Greeting;
use crate::domain::ids::ShopId;
use crate::domain::viewer::hash_token;
use crate::domain::widget_settings::LauncherPosition;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::services::storefront::{MAX_TOKEN_LEN, checked_language};
use crate::storage::storefront;
use crate::storage::storefront_history::{self, Cursor, HistoryRow, Page};
use serde::Serialize;
use shopmux_contract::content::MessageContent;

/// The most messages one history page holds.
pub const MAX_HISTORY_PAGE: u32 = 100;
/// The longest cursor taken.
const MAX_CURSOR_LEN: usize = 64;

/// The widget's settings as the customer's page sees them.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorefrontWidget {
    /// The launcher's corner.
    pub position: LauncherPosition,
    /// The launcher's colour (`#rrggbb`); none: the widget's own.
    pub color: Option<String>,
    /// The launcher's label; none: the widget's own text in the customer's language.
    pub label: Option<String>,
    /// The shop's greeting and FAQ list in the customer's language, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greeting: Option<Greeting>,
}

/// Who wrote a message, as the customer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HistorySender {
    /// The customer.
    Customer,
    /// A person of the shop.
    Agent,
    /// The shop's bot or automatic reply.
    Bot,
}

/// One message of the customer's conversation.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorefrontMessage {
    /// The message id (an agent's reply arrives over the chat socket with this id).
    pub id: String,
    /// The id the widget gave the customer's own message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Who wrote it.
    pub from: HistorySender,
    /// The agent's nickname, for an agent's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// The content.
    pub content: MessageContent,
    /// When (Unix milliseconds).
    pub sent_at_ms: i64,
    /// Where this message is in the history (for `after` and `before`).
    pub cursor: String,
}

/// A page of the customer's conversation, oldest first.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorefrontHistory {
    /// The messages.
    pub items: Vec<StorefrontMessage>,
    /// Whether more lie beyond this page in its direction (older for `before`, newer for
    /// `after`).
    pub more: bool,
}

fn cursor_text(at_ms: i64, id: &str) -> String {
    format!("{at_ms}.{id}")
}

/// A cursor as the widget sent it back.
fn parse_cursor(field: &str, raw: &str) -> CoreResult<Cursor> {
    let bad = || CoreError::invalid(field, "not a cursor of this history");
    if raw.len() > MAX_CURSOR_LEN {
        return Err(bad());
    }
    let (at, id) = raw.split_once('.').ok_or_else(bad)?;
    let at_ms: i64 = at.parse().map_err(|_| bad())?;
    let id: crate::domain::ids::MessageId = id.parse().map_err(|_| bad())?;
    Ok(Cursor { at_ms, id: id.to_string() })
}

fn message_of(row: HistoryRow, buyer: &str) -> Option<StorefrontMessage> {
    let from = match row.sender_kind.as_str() {
        "buyer" => HistorySender::Customer,
        "agent" => HistorySender::Agent,
        _ => HistorySender::Bot,
    };
    let own = format!("sf:{buyer}:");
    let client_id = row.platform_message_id.as_deref().and_then(|p| p.strip_prefix(&own));
    Some(StorefrontMessage {
        cursor: cursor_text(row.at_ms, &row.id),
        client_id: client_id.filter(|_| from == HistorySender::Customer).map(str::to_owned),
        sender_name: row.agent_nickname.filter(|_| from == HistorySender::Agent),
        content: serde_json::from_value(row.content).ok()?,
        sent_at_ms: row.at_ms,
        id: row.id,
        from,
    })
}

impl Inbox {
    /// The widget's settings of a shop with a storefront chat, the greeting in
    /// `language`.
    pub async fn storefront_widget(
        &self, shop_id: ShopId, language: Option<&str>,
    ) -> CoreResult<StorefrontWidget> {
        let shop = self.storefront_shop(shop_id).await?.ok_or(CoreError::NotFound("shop"))?;
        let language = checked_language(language)?;
        Ok(StorefrontWidget {
            position: shop.widget.position,
            color: shop.widget.color.clone(),
            label: shop.widget.label.clone(),
            // rule: DY-GREET-1 (the greeting in the customer's language, and the FAQ list)
            greeting: shop.bot.as_ref().and_then(|b| b.greeting(language.as_deref())),
        })
    }

    /// Checks that a request came through the shop's app proxy (the platform's signed
    /// query); a forged, stale or other shop's request answers like an unknown shop.
    pub async fn verify_storefront_proxy(
        &self, shop_id: ShopId, query: Vec<(String, String)>,
    ) -> CoreResult<()> {
        let shop = self.storefront_shop(shop_id).await?.ok_or(CoreError::NotFound("shop"))?;
        self.proxied_customer(&shop, query).await.map(|_| ())
    }

    /// The store origins a shop lists for its widget (none for an unknown shop or one
    /// without a storefront chat).
    pub async fn storefront_origins(&self, shop_id: ShopId) -> CoreResult<Vec<String>> {
        Ok(self
            .storefront_shop(shop_id)
            .await?
            .map(|s| s.widget.allowed_origins.clone())
            .unwrap_or_default())
    }

    /// A page of the conversation of the session's customer: the latest `limit`
    /// messages, those `before` a cursor, or those `after` one.
    pub async fn storefront_history(
        &self, shop_id: ShopId, token: &str, before: Option<&str>, after: Option<&str>, limit: u32,
    ) -> CoreResult<StorefrontHistory> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(CoreError::NotFound("session"));
        }
        let page = match (before, after) {
            (Some(_), Some(_)) => {
                return Err(CoreError::invalid("after", "give `before` or `after`, not both"));
            }
            (_, Some(a)) => Page::After(parse_cursor("after", a)?),
            (Some(b), None) => Page::Before(Some(parse_cursor("before", b)?)),
            (None, None) => Page::Before(None),
        };
        if self.storefront_shop(shop_id).await?.is_none() {
            return Err(CoreError::NotFound("shop"));
        }
        let customer = storefront::customer(&self.store, shop_id, hash_token(token))
            .await?
            .ok_or(CoreError::NotFound("session"))?;
        let limit = i64::from(limit.clamp(1, MAX_HISTORY_PAGE));
        let buyer = customer.buyer_external_id;
        let shop = shop_id.to_string();
        let mut rows =
            storefront_history::page(&self.store, &shop, &buyer, &page, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        if more {
            match page {
                Page::After(_) => rows.truncate(limit as usize),
                Page::Before(_) => {
                    rows.remove(0);
                }
            }
        }
        let items = rows.into_iter().filter_map(|r| message_of(r, &buyer)).collect();
        Ok(StorefrontHistory { items, more })
    }
}
