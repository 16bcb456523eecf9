//! Storefront chat sessions: shopmux's own chat channel for the shops of platforms whose
//! adapters declare a storefront chat (their buyer chat has no public API). A customer
//! starts a session from the shop's widget and gets a session token; their messages then
//! enter the inbox as the shop's buyer.
//!
//! **Who the customer is is proven, never typed.** A session started through the
//! platform's app proxy carries the platform's signed query: the adapter verifies it
//! (`Registry::verify_storefront_request`) and a signed-in customer IS that customer
//! (the buyer id the platform's order and customer events use). Anyone else is an
//! anonymous visitor (`visitor:{uuid}`), the same visitor again only when the new
//! session shows the previous session's token. A typed name and email are contact data:
//! the email stays unverified — never the buyer's, never where replies are mailed —
//! until the visitor confirms it with a code mailed to it (`storefront_email`).

use crate::domain::ids::ShopId;
use crate::domain::quick_replies::valid_language;
use crate::domain::shop_settings::IngestShop;
use crate::domain::viewer::{hash_token, new_token};
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::storefront::{self, NewSession};
use serde::{Deserialize, Serialize};

/// What a customer gives when starting a chat.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StorefrontStart {
    /// Their name (contact data).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub name: Option<String>,
    /// Their email: contact data, **unverified** — never who they are, and replies are
    /// mailed to it (SH-ONLINE-1) only once they confirm it (`…/email/confirm`).
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = "email"))]
    pub email: Option<String>,
    /// Their time zone as the browser reports it (`Europe/Warsaw`), for the customer
    /// panel's local time (SH-PROFILE-1).
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 64, pattern = r"^\s*[A-Za-z0-9/_+-]*\s*$")
    )]
    pub time_zone: Option<String>,
    /// Their offset from UTC in minutes now (east positive), from the browser.
    #[cfg_attr(feature = "openapi", schema(minimum = -840, maximum = 840))]
    #[serde(default, deserialize_with = "shopmux_contract::integral::option_i32")]
    pub utc_offset_minutes: Option<i32>,
    /// The token of this browser's previous session: proof that continues the same
    /// anonymous visitor (ignored when it is not one of this shop's anonymous sessions).
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub previous_token: Option<String>,
    /// Their language as the browser reports it (`es-MX`): picks the greeting's version
    /// (DY-GREET-1).
    #[cfg_attr(feature = "openapi", schema(max_length = 35, pattern = r"^[A-Za-z0-9_-]*$"))]
    pub language: Option<String>,
}

/// How a session start proves who the customer is.
#[derive(Clone, Debug)]
pub enum StorefrontProof {
    /// Forwarded by the platform's app proxy: its query parameters, decoded, in order.
    Proxy(Vec<(String, String)>),
    /// Straight from the widget (development): anonymous only.
    Direct,
}

/// A started session: the token the widget keeps.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorefrontSession {
    /// The session token (`smx_…`), for the chat socket.
    pub token: String,
    /// The customer as the shop's buyer.
    pub buyer_external_id: String,
    /// Whether the platform proved who the customer is (signed in at the store).
    pub verified: bool,
    /// Whether the email they gave is confirmed (replies may be mailed to it).
    pub email_verified: bool,
    /// The shop's greeting and FAQ list, shown as the chat opens (DY-GREET-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greeting: Option<crate::domain::faq_bot::Greeting>,
}

/// A customer behind a session token.
#[derive(Clone, Debug)]
pub struct StorefrontCustomer {
    /// The shop, for ingest.
    pub shop: IngestShop,
    /// The buyer's id in the shop.
    pub buyer_external_id: String,
    /// Their name.
    pub nickname: Option<String>,
    /// Their email, only once confirmed (an unconfirmed one is not the buyer's).
    pub email: Option<String>,
    /// Whether the platform proved who they are (only such sessions bind a cart).
    pub verified: bool,
}

pub(crate) fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The browser's language, checked (empty: none).
pub(crate) fn checked_language(language: Option<&str>) -> CoreResult<Option<String>> {
    match language.map(|l| l.trim().replace('_', "-")) {
        Some(l) if l.is_empty() => Ok(None),
        Some(l) if valid_language(&l) => Ok(Some(l)),
        Some(_) => Err(CoreError::invalid("language", "not a language tag such as `es-MX`")),
        None => Ok(None),
    }
}

/// A storefront customer's details, checked: name, email, time zone and UTC offset.
type Details = (Option<String>, Option<String>, Option<String>, Option<i64>);

fn checked(start: StorefrontStart) -> CoreResult<Details> {
    let name = match start.name.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(n) if n.chars().count() > 64 => {
            return Err(CoreError::invalid("name", "at most 64 characters"));
        }
        Some(n) => Some(n.to_owned()),
    };
    let email = match start.email.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(e) => Some(checked_email(e)?),
    };
    let time_zone = match start.time_zone.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(z)
            if z.len() <= 64
                && z.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b)) =>
        {
            Some(z.to_owned())
        }
        Some(_) => return Err(CoreError::invalid("time_zone", "not a time zone name")),
    };
    let offset = match start.utc_offset_minutes {
        Some(m) if m.abs() > 14 * 60 => {
            return Err(CoreError::invalid("utc_offset_minutes", "must be within -840 and 840"));
        }
        m => m.map(i64::from),
    };
    Ok((name, email, time_zone, offset))
}

/// The longest session token looked up (tokens are `smx_` and 64 hex digits).
pub(crate) const MAX_TOKEN_LEN: usize = 128;

/// Checks a typed email as contact data (the same shape rules as at the start).
pub(crate) fn checked_email(email: &str) -> CoreResult<String> {
    let e = email.trim();
    if !valid_email(e) {
        return Err(CoreError::invalid("email", "not an email address"));
    }
    Ok(e.to_lowercase())
}

/// Who a new session is: buyer id, proven, and the email (with whether confirmed).
struct Identity {
    buyer_external_id: String,
    verified: bool,
    email: Option<String>,
    email_verified: bool,
}

impl Inbox {
    /// The shop, if its platform's buyers chat through the storefront widget.
    pub(crate) async fn storefront_shop(&self, shop_id: ShopId) -> CoreResult<Option<IngestShop>> {
        Ok(self
            .ingest_shop(shop_id)
            .await?
            .filter(|shop| self.registry.capabilities(shop.platform.as_str()).storefront_chat))
    }

    /// The customer the platform's signed proxy request names (none: anonymous). A
    /// forged, stale or other shop's request answers like an unknown shop.
    pub(crate) async fn proxied_customer(
        &self, shop: &IngestShop, query: Vec<(String, String)>,
    ) -> CoreResult<Option<String>> {
        let connection =
            self.shop_connection(shop.shop_id).await?.ok_or(CoreError::NotFound("shop"))?;
        let now = self.clock.now().timestamp_millis();
        match self.registry.verify_storefront_request(&shop.platform, connection, query, now).await
        {
            Ok(visitor) => Ok(visitor.customer_external_id.filter(|id| !id.is_empty())),
            Err(e) if e.retryable => Err(CoreError::Platform(e)),
            Err(_) => Err(CoreError::NotFound("shop")),
        }
    }

    /// Who an anonymous session is: the previous session's visitor when its token proves
    /// it (an anonymous session of this shop), a new visitor otherwise.
    async fn visitor(
        &self, shop_id: ShopId, previous: Option<&str>, email: Option<String>,
    ) -> CoreResult<Identity> {
        let earlier = match previous.filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN) {
            Some(t) => storefront::customer(&self.store, shop_id, hash_token(t)).await?,
            None => None,
        };
        match earlier.filter(|c| !c.verified) {
            Some(c) => {
                // The same visitor keeps a confirmed address unless they type another.
                let kept = email.is_none() || email == c.email;
                let email_verified = c.email_verified && kept;
                Ok(Identity {
                    buyer_external_id: c.buyer_external_id,
                    verified: false,
                    email: email.or(c.email),
                    email_verified,
                })
            }
            None => Ok(Identity {
                buyer_external_id: format!("visitor:{}", uuid::Uuid::now_v7().simple()),
                verified: false,
                email,
                email_verified: false,
            }),
        }
    }

    /// Starts a storefront chat session in a shop with a storefront chat: the customer
    /// the proof proves, or an anonymous visitor.
    pub async fn start_storefront_session(
        &self, shop_id: ShopId, proof: StorefrontProof, start: StorefrontStart,
    ) -> CoreResult<StorefrontSession> {
        let Some(shop) = self.storefront_shop(shop_id).await? else {
            return Err(CoreError::NotFound("shop"));
        };
        let customer = match proof {
            StorefrontProof::Proxy(query) => self.proxied_customer(&shop, query).await?,
            StorefrontProof::Direct => None,
        };
        let previous = start.previous_token.clone();
        let language = checked_language(start.language.as_deref())?;
        let (nickname, email, time_zone, utc_offset_minutes) = checked(start)?;
        let who = match customer {
            Some(id) => {
                Identity { buyer_external_id: id, verified: true, email, email_verified: false }
            }
            None => self.visitor(shop_id, previous.as_deref(), email).await?,
        };
        let token = new_token();
        let session = NewSession {
            token_hash: hash_token(&token),
            shop_id,
            buyer_external_id: who.buyer_external_id.clone(),
            nickname,
            email: who.email,
            email_verified: who.email_verified,
            verified: who.verified,
            time_zone,
            utc_offset_minutes,
        };
        let mut w = self.store.begin_write().await?;
        storefront::insert(&mut w, session, self.clock.now()).await?;
        w.commit().await?;
        Ok(StorefrontSession {
            token,
            buyer_external_id: who.buyer_external_id,
            verified: who.verified,
            email_verified: who.email_verified,
            // rule: DY-GREET-1 (the widget shows the greeting, in the customer's language,
            // and the FAQ list as it opens)
            greeting: shop.bot.as_ref().and_then(|b| b.greeting(language.as_deref())),
        })
    }

    /// The customer behind a session token of this shop, if any.
    pub async fn storefront_customer(
        &self, shop_id: ShopId, token: &str,
    ) -> CoreResult<Option<StorefrontCustomer>> {
        if token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        let Some(c) = storefront::customer(&self.store, shop_id, hash_token(token)).await? else {
            return Ok(None);
        };
        let Some(shop) = self.storefront_shop(shop_id).await? else {
            return Ok(None);
        };
        Ok(Some(StorefrontCustomer {
            shop,
            email: c.confirmed_email(),
            buyer_external_id: c.buyer_external_id,
            nickname: c.nickname,
            verified: c.verified,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(valid_email("ana@example.com"));
        for bad in ["ana", "@example.com", "ana@example", "ana@.com", "a na@example.com"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
