//! Storefront chat sessions: shopmux's own chat channel for Shopify shops (Shopify Inbox
//! has no public API). A customer starts a session from the shop's widget, optionally
//! giving a name and an email (where replies go once they leave, SH-ONLINE-1), and gets
//! a session token; their messages then enter the inbox as the shop's buyer. A customer
//! giving the same email again is the same buyer (a returning customer).

use super::Inbox;
use super::accounts::{hash_token, new_token};
use super::shops::IngestShop;
use crate::clock::to_millis;
use crate::error::{CoreError, CoreResult};
use crate::ids::ShopId;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The platform whose shops use the storefront channel.
pub const STOREFRONT_PLATFORM: &str = "shopify";

/// What a customer gives when starting a chat.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorefrontStart {
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// Their email, where replies go when they have left the store (SH-ONLINE-1).
    #[serde(default)]
    pub email: Option<String>,
    /// Their time zone as the browser reports it (`Europe/Warsaw`), for the customer
    /// panel's local time (SH-PROFILE-1).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Their offset from UTC in minutes now (east positive), from the browser.
    #[serde(default)]
    pub utc_offset_minutes: Option<i32>,
}

/// A started session: the token the widget keeps.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StorefrontSession {
    /// The session token (`smx_…`), for the chat socket.
    pub token: String,
    /// The customer as the shop's buyer.
    pub buyer_external_id: String,
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
    /// Their email.
    pub email: Option<String>,
}

fn valid_email(email: &str) -> bool {
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

impl Inbox {
    /// Starts a storefront chat session in a Shopify shop.
    pub async fn start_storefront_session(
        &self,
        shop_id: ShopId,
        start: StorefrontStart,
    ) -> CoreResult<StorefrontSession> {
        let shop = self
            .ingest_shop(shop_id)
            .await?
            .ok_or(CoreError::NotFound("shop"))?;
        if shop.platform.as_str() != STOREFRONT_PLATFORM {
            return Err(CoreError::NotFound("shop"));
        }
        let name = match start.name.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(n) if n.chars().count() > 64 => {
                return Err(CoreError::invalid("name", "at most 64 characters"));
            }
            Some(n) => Some(n.to_owned()),
        };
        let email = match start.email.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(e) if !valid_email(e) => {
                return Err(CoreError::invalid("email", "not an email address"));
            }
            Some(e) => Some(e.to_lowercase()),
        };
        let time_zone = match start.time_zone.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(z)
                if z.len() <= 64
                    && z.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b)) =>
            {
                Some(z.to_owned())
            }
            Some(_) => return Err(CoreError::invalid("time_zone", "not a time zone name")),
        };
        let offset = match start.utc_offset_minutes {
            Some(m) if m.abs() > 14 * 60 => {
                return Err(CoreError::invalid(
                    "utc_offset_minutes",
                    "must be within -840 and 840",
                ));
            }
            m => m.map(i64::from),
        };
        let token = new_token();
        let buyer_external_id = match &email {
            Some(e) => format!("email:{e}"),
            None => format!("visitor:{}", uuid::Uuid::now_v7().simple()),
        };
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                "INSERT INTO storefront_sessions (token_hash, shop_id, buyer_external_id, nickname, email, created_at, time_zone, utc_offset_minutes) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                vec![
                    hash_token(&token).into(),
                    shop_id.to_string().into(),
                    buyer_external_id.clone().into(),
                    name.into(),
                    email.into(),
                    to_millis(self.clock.now()).into(),
                    time_zone.into(),
                    offset.into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(StorefrontSession {
            token,
            buyer_external_id,
        })
    }

    /// The customer behind a session token of this shop, if any.
    pub async fn storefront_customer(
        &self,
        shop_id: ShopId,
        token: &str,
    ) -> CoreResult<Option<StorefrontCustomer>> {
        let row = self
            .store
            .query(
                "SELECT buyer_external_id, nickname, email FROM storefront_sessions WHERE token_hash = $1 AND shop_id = $2",
                vec![hash_token(token).into(), shop_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(shop) = self.ingest_shop(shop_id).await? else {
            return Ok(None);
        };
        Ok(Some(StorefrontCustomer {
            shop,
            buyer_external_id: row.try_get("buyer_external_id")?,
            nickname: row.try_get("nickname")?,
            email: row.try_get("email")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(valid_email("ana@example.com"));
        for bad in [
            "ana",
            "@example.com",
            "ana@example",
            "ana@.com",
            "a na@example.com",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
