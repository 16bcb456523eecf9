//! Privacy requests a platform forwards (a Shopify app's mandatory `customers/data_request`,
//! `customers/redact`, `shop/redact`), carried out when they arrive, in one transaction
//! with their record: an export gathers what shopmux holds on the buyers named and keeps
//! it sealed for the owner (`GET /api/v1/privacy-requests/{id}`); a redaction replaces
//! the buyers' personal data and what was written in their conversations, and never
//! deletes a message or a conversation (ALL-DEL-1; see `storage::privacy`). The owner is
//! told on their stream.

use crate::domain::ids::ShopId;
use crate::domain::shop_settings::IngestShop;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::OwnerEvent;
use crate::inbox::Inbox;
use crate::storage::privacy::{self, Record};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shopmux_contract::adapter::{PrivacyKind, PrivacyRequest};

/// A privacy request and what was done, as the API shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrivacyView {
    /// shopmux's id of the request.
    pub id: String,
    /// The shop.
    pub shop_id: ShopId,
    /// `export`, `redact_buyers` or `redact_shop`.
    pub kind: String,
    /// The platform's id of the request.
    pub platform_request_id: Option<String>,
    /// The buyers it named (the platform's ids).
    pub buyers: Vec<String>,
    /// The orders it named.
    pub orders: Vec<String>,
    /// How many of those buyers shopmux held data on.
    pub buyers_found: i64,
    /// How many messages' content was replaced.
    pub messages_redacted: i64,
    /// When it arrived and was carried out.
    pub done_at: DateTime<Utc>,
    /// The exported data (exports only, and only when one request is asked for).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub export: Option<serde_json::Value>,
}

fn kind_name(kind: PrivacyKind) -> &'static str {
    match kind {
        PrivacyKind::Export => "export",
        PrivacyKind::RedactBuyers => "redact_buyers",
        PrivacyKind::RedactShop => "redact_shop",
    }
}

impl Inbox {
    /// Carries out a privacy request for a shop and records it (see the module comment).
    pub(crate) async fn privacy_request(
        &self, shop: &IngestShop, request: PrivacyRequest,
    ) -> CoreResult<()> {
        let kind = request.kind;
        let now = self.clock.now();
        let id = uuid::Uuid::now_v7().to_string();
        let mut w = self.store.begin_write().await?;
        let all = kind == PrivacyKind::RedactShop;
        let found = privacy::buyers(&mut w, shop.shop_id, &request.buyer_external_ids, all).await?;
        let mut exported = Vec::new();
        let mut redacted = 0;
        for buyer in &found {
            if kind == PrivacyKind::Export {
                exported.push(privacy::export(&mut w, buyer).await?);
            } else {
                let why = format!("erased at the platform's privacy request ({})", kind_name(kind));
                redacted += privacy::redact(&mut w, shop.shop_id, buyer, &why).await?;
            }
        }
        let export = match kind {
            PrivacyKind::Export => {
                let plain = serde_json::Value::Array(exported).to_string();
                Some(self.store.seal(&id, &plain)?)
            }
            _ => None,
        };
        let record = Record {
            id: id.clone(),
            seller_id: shop.seller_id,
            shop_id: shop.shop_id,
            kind: kind_name(kind).into(),
            platform_request_id: request.request_id,
            buyers: request.buyer_external_ids,
            orders: request.order_external_ids,
            buyers_found: found.len() as i64,
            messages_redacted: redacted as i64,
            export,
            received_at: now,
        };
        let recorded = privacy::insert(&mut w, &record).await?;
        w.commit().await?;
        tracing::info!(message = "Privacy request carried out.", shop_id = %shop.shop_id, kind = kind_name(kind), buyers = found.len(), messages = redacted, recorded);
        if recorded {
            let event = OwnerEvent::PrivacyRequestDone {
                shop_id: shop.shop_id,
                request_id: id,
                kind: kind_name(kind).into(),
            };
            self.events.tell_owner(shop.seller_id, event);
        }
        Ok(())
    }

    /// The seller's privacy requests, newest first (owner only; no exports).
    pub async fn privacy_requests(&self, owner: &Viewer) -> CoreResult<Vec<PrivacyView>> {
        owner.require_owner()?;
        let records = privacy::of_seller(&self.store, owner.agent.seller_id).await?;
        Ok(records.into_iter().map(|r| view(r, None)).collect())
    }

    /// One privacy request with its export (owner only).
    pub async fn privacy_request_detail(
        &self, owner: &Viewer, id: &str,
    ) -> CoreResult<PrivacyView> {
        owner.require_owner()?;
        let record = privacy::get(&self.store, owner.agent.seller_id, id)
            .await?
            .ok_or(CoreError::NotFound("privacy request"))?;
        let export = match &record.export {
            Some(sealed) => Some(
                serde_json::from_str(&self.store.unseal(&record.id, sealed)?)
                    .map_err(|_| CoreError::Unavailable("the export does not read"))?,
            ),
            None => None,
        };
        Ok(view(record, export))
    }
}

fn view(r: Record, export: Option<serde_json::Value>) -> PrivacyView {
    PrivacyView {
        id: r.id,
        shop_id: r.shop_id,
        kind: r.kind,
        platform_request_id: r.platform_request_id,
        buyers: r.buyers,
        orders: r.orders,
        buyers_found: r.buyers_found,
        messages_redacted: r.messages_redacted,
        done_at: r.received_at,
        export,
    }
}
