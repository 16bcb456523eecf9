//! Storefront chat sessions: shopmux's own chat channel for the shops of platforms whose
//! adapters declare a storefront chat (their buyer chat has no public API). A customer
//! starts a session from the shop's widget, optionally giving a name and an email (where
//! replies go once they leave, SH-ONLINE-1), and gets a session token; their messages
//! then enter the inbox as the shop's buyer. A customer giving the same email again is
//! the same buyer (a returning customer).

use crate::domain::ids::ShopId;
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
    /// Their name.
    pub name: Option<String>,
    /// Their email, where replies go when they have left the store (SH-ONLINE-1).
    pub email: Option<String>,
    /// Their time zone as the browser reports it (`Europe/Warsaw`), for the customer
    /// panel's local time (SH-PROFILE-1).
    pub time_zone: Option<String>,
    /// Their offset from UTC in minutes now (east positive), from the browser.
    pub utc_offset_minutes: Option<i32>,
}

/// A started session: the token the widget keeps.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        Some(e) if !valid_email(e) => {
            return Err(CoreError::invalid("email", "not an email address"));
        }
        Some(e) => Some(e.to_lowercase()),
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

impl Inbox {
    /// The shop, if its platform's buyers chat through the storefront widget.
    async fn storefront_shop(&self, shop_id: ShopId) -> CoreResult<Option<IngestShop>> {
        Ok(self
            .ingest_shop(shop_id)
            .await?
            .filter(|shop| self.registry.capabilities(shop.platform.as_str()).storefront_chat))
    }

    /// Starts a storefront chat session in a shop with a storefront chat.
    pub async fn start_storefront_session(
        &self, shop_id: ShopId, start: StorefrontStart,
    ) -> CoreResult<StorefrontSession> {
        if self.storefront_shop(shop_id).await?.is_none() {
            return Err(CoreError::NotFound("shop"));
        }
        let (nickname, email, time_zone, utc_offset_minutes) = checked(start)?;
        let token = new_token();
        let buyer_external_id = match &email {
            Some(e) => format!("email:{e}"),
            None => format!("visitor:{}", uuid::Uuid::now_v7().simple()),
        };
        let session = NewSession {
            token_hash: hash_token(&token),
            shop_id,
            buyer_external_id: buyer_external_id.clone(),
            nickname,
            email,
            time_zone,
            utc_offset_minutes,
        };
        let mut w = self.store.begin_write().await?;
        storefront::insert(&mut w, session, self.clock.now()).await?;
        w.commit().await?;
        Ok(StorefrontSession { token, buyer_external_id })
    }

    /// The customer behind a session token of this shop, if any.
    pub async fn storefront_customer(
        &self, shop_id: ShopId, token: &str,
    ) -> CoreResult<Option<StorefrontCustomer>> {
        let Some((buyer_external_id, nickname, email)) =
            storefront::customer(&self.store, shop_id, hash_token(token)).await?
        else {
            return Ok(None);
        };
        let Some(shop) = self.ingest_shop(shop_id).await? else {
            return Ok(None);
        };
        Ok(Some(StorefrontCustomer { shop, buyer_external_id, nickname, email }))
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
