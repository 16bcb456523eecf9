//! Quick replies (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): every account keeps its own set;
//! each shop has one set, managed by the main account and read and used by every
//! account that sees the shop. Listing searches both; rendering fills a reply for a
//! conversation and sends nothing.
//!
//! Access: an agent's own replies are that agent's alone (another account's id answers
//! 404, like another seller's); a shop's replies are 404 to accounts that do not see the
//! shop and 403 to write for anyone but the main account.

use crate::domain::ids::*;
use crate::domain::quick_replies::{self as qr, QuickReply, QuickReplyInput, Rendered};
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::messages::{self, PageFrom};
use crate::storage::quick_replies::{self as repo, Set};
use crate::storage::write::Db;
use crate::storage::{buyers, shops};
use serde::Deserialize;

/// How many of a conversation's latest messages rendering looks through for an order
/// card or a product card.
const RECENT_MESSAGES: usize = 200;

/// Which sets a listing covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The caller's own and the shops' (the default).
    #[default]
    All,
    /// The caller's own only.
    Own,
    /// The shops' only.
    Shop,
}

fn not_found() -> CoreError {
    CoreError::NotFound("quick reply")
}

impl Inbox {
    /// The quick replies the viewer may use, in reading order (its own set first, then
    /// each shop's): `scope` picks the sets, `shop` keeps one shop's set (404 when the
    /// viewer does not see it), `q` searches group, title and texts (case-insensitive,
    /// partial).
    pub async fn quick_replies(
        &self, viewer: &Viewer, scope: Scope, shop: Option<ShopId>, q: Option<&str>,
    ) -> CoreResult<Vec<QuickReply>> {
        let pattern = q.map(qr::like_pattern).transpose()?.flatten();
        if let Some(shop) = shop
            && !viewer.can_see(shop)
        {
            return Err(CoreError::NotFound("shop"));
        }
        let agent = (scope != Scope::Shop).then_some(viewer.agent.id);
        let mut shops: Vec<ShopId> = match (scope, shop) {
            (Scope::Own, _) => Vec::new(),
            (_, Some(shop)) => vec![shop],
            (_, None) => viewer.visible_shops.iter().copied().collect(),
        };
        shops.sort();
        let seller = viewer.agent.seller_id;
        let found = repo::list(&self.store, seller, agent, &shops, pattern.as_deref()).await?;
        Ok(qr::arrange(found))
    }

    /// Adds a quick reply at the end of a set: the viewer's own, or `shop`'s (the main
    /// account only).
    pub async fn create_quick_reply(
        &self, viewer: &Viewer, shop: Option<ShopId>, input: &QuickReplyInput,
    ) -> CoreResult<QuickReply> {
        let set = match shop {
            Some(shop) => {
                may_manage_shop_set(viewer, shop)?;
                Set::Shop(shop)
            }
            None => Set::Agent(viewer.agent.id),
        };
        let checked = qr::check(input)?;
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let reply = QuickReply {
            id: QuickReplyId::new(),
            shop_id: shop,
            agent_id: shop.is_none().then_some(viewer.agent.id),
            group: checked.group,
            position: repo::next_position(&mut w, set).await?,
            title: checked.title,
            text: checked.text,
            translations: checked.translations,
            created_at: now,
            updated_at: now,
        };
        repo::insert(&mut w, viewer.agent.seller_id, &reply).await?;
        w.commit().await?;
        Ok(reply)
    }

    /// Changes a quick reply's group, title and texts (its place stays).
    pub async fn update_quick_reply(
        &self, viewer: &Viewer, id: QuickReplyId, input: &QuickReplyInput,
    ) -> CoreResult<QuickReply> {
        let mut reply = self.writable_quick_reply(viewer, id).await?;
        let checked = qr::check(input)?;
        (reply.group, reply.title, reply.text) = (checked.group, checked.title, checked.text);
        reply.translations = checked.translations;
        reply.updated_at = self.clock.now();
        let mut w = self.store.begin_write().await?;
        repo::update(&mut w, &reply).await?;
        w.commit().await?;
        Ok(reply)
    }

    /// Deletes a quick reply.
    pub async fn delete_quick_reply(&self, viewer: &Viewer, id: QuickReplyId) -> CoreResult<()> {
        self.writable_quick_reply(viewer, id).await?;
        let mut w = self.store.begin_write().await?;
        repo::delete(&mut w, id).await?;
        w.commit().await
    }

    /// Puts a set in a new order: `ids` lists every reply of the set (the viewer's own,
    /// or `shop`'s for the main account) exactly once; groups then follow their first
    /// reply. An id outside the set is 404; a set not listed whole is 422.
    pub async fn reorder_quick_replies(
        &self, viewer: &Viewer, shop: Option<ShopId>, ids: &[QuickReplyId],
    ) -> CoreResult<Vec<QuickReply>> {
        let set = match shop {
            Some(shop) => {
                may_manage_shop_set(viewer, shop)?;
                Set::Shop(shop)
            }
            None => Set::Agent(viewer.agent.id),
        };
        let mut w = self.store.begin_write().await?;
        let mut current = repo::ids_of(&mut w, set).await?;
        if ids.iter().any(|id| !current.contains(id)) {
            return Err(not_found());
        }
        let mut wanted = ids.to_vec();
        wanted.sort();
        current.sort();
        if wanted != current {
            return Err(CoreError::invalid(
                "ids",
                "must list every quick reply of the set exactly once",
            ));
        }
        repo::set_positions(&mut w, ids).await?;
        w.commit().await?;
        let scope = if shop.is_some() { Scope::Shop } else { Scope::Own };
        self.quick_replies(viewer, scope, shop, None).await
    }

    /// A quick reply rendered for a conversation the viewer sees: the version in the
    /// buyer's language with the variables the conversation fills (DY-QUICK-1: the text
    /// for the reply box, editable; nothing is sent). The reply must be the viewer's own
    /// or of the conversation's shop (ALL-SHOP-1).
    pub async fn render_quick_reply(
        &self, viewer: &Viewer, conversation: ConversationId, id: QuickReplyId,
    ) -> CoreResult<Rendered> {
        let conversation = self.conversation(viewer, conversation).await?;
        let reply =
            repo::get(&self.store, viewer.agent.seller_id, id).await?.ok_or_else(not_found)?;
        let usable =
            reply.agent_id == Some(viewer.agent.id) || reply.shop_id == Some(conversation.shop_id);
        if !usable {
            return Err(not_found());
        }
        let buyer = buyers::get(&self.store, conversation.buyer_id)
            .await?
            .ok_or(CoreError::NotFound("buyer"))?;
        let shop = shops::get(&self.store, conversation.shop_id)
            .await?
            .ok_or(CoreError::NotFound("shop"))?;
        let orders = buyers::orders_of(Db::Pool(&self.store), buyer.id).await?;
        let recent =
            messages::page(&self.store, conversation.id, &PageFrom::Newest, RECENT_MESSAGES)
                .await?;
        let values =
            qr::conversation_values(&buyer, &shop, &orders, &recent, &viewer.agent.nickname);
        Ok(qr::render(&reply, buyer.language.as_deref(), &values))
    }

    /// A quick reply the viewer may change: its own, or (main account) a shop's.
    async fn writable_quick_reply(
        &self, viewer: &Viewer, id: QuickReplyId,
    ) -> CoreResult<QuickReply> {
        let reply =
            repo::get(&self.store, viewer.agent.seller_id, id).await?.ok_or_else(not_found)?;
        match (reply.shop_id, reply.agent_id) {
            // A shop the viewer does not see: the reply is unknown to it.
            (Some(shop), _) if !viewer.can_see(shop) => return Err(not_found()),
            (Some(shop), _) => may_manage_shop_set(viewer, shop)?,
            (None, Some(agent)) if agent == viewer.agent.id => {}
            _ => return Err(not_found()),
        }
        Ok(reply)
    }
}

/// Fails unless the viewer manages the shop's set: 404 when it does not see the shop,
/// 403 when it is not the main account (ALL-SHOP-1).
fn may_manage_shop_set(viewer: &Viewer, shop: ShopId) -> CoreResult<()> {
    if !viewer.can_see(shop) {
        return Err(CoreError::NotFound("shop"));
    }
    // rule: ALL-SHOP-1 — a shop's quick replies are set by the main account.
    if !viewer.is_owner() {
        return Err(CoreError::Forbidden(
            "only the main account manages a shop's quick replies".into(),
        ));
    }
    Ok(())
}
