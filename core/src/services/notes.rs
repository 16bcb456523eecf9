//! Buyers and their internal notes (SH-NOTE-1): a buyer the viewer may see with their
//! orders, and the team's notes on them — never shown to the buyer, kept with the buyer
//! record, editable and deletable. Everyone who may see the buyer reads its notes; only
//! accounts that may chat in the buyer's shop write them (view-only agents read), and
//! only a note's author or the main account edits or deletes it.

use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::write::Db;
use crate::storage::{buyers, notes};

fn validate_body(body: &str) -> CoreResult<String> {
    let b = body.trim();
    if b.is_empty() || b.chars().count() > 5000 {
        return Err(CoreError::invalid("body", "must be 1 to 5000 characters"));
    }
    Ok(b.to_owned())
}

/// Fails unless the viewer may write notes in the shop (view-only agents read).
fn may_write(viewer: &Viewer, shop: ShopId) -> CoreResult<()> {
    if viewer.can_chat(shop) {
        Ok(())
    } else {
        Err(CoreError::Forbidden("view-only access: notes are read, not written".into()))
    }
}

impl Inbox {
    /// A buyer the viewer may see.
    pub async fn buyer(&self, viewer: &Viewer, id: BuyerId) -> CoreResult<Buyer> {
        match buyers::get(&self.store, id).await? {
            Some(buyer) if viewer.can_see(buyer.shop_id) => Ok(buyer),
            _ => Err(CoreError::NotFound("buyer")),
        }
    }

    /// The buyer's orders in its shop, newest first.
    pub async fn buyer_orders(&self, viewer: &Viewer, id: BuyerId) -> CoreResult<Vec<Order>> {
        self.buyer(viewer, id).await?;
        buyers::orders_of(Db::Pool(&self.store), id).await
    }

    /// The notes on a buyer, oldest first.
    pub async fn notes(&self, viewer: &Viewer, buyer: BuyerId) -> CoreResult<Vec<BuyerNote>> {
        self.buyer(viewer, buyer).await?;
        notes::of_buyer(&self.store, buyer).await
    }

    /// Adds a note on a buyer (an account that may chat in the buyer's shop).
    pub async fn add_note(
        &self, viewer: &Viewer, buyer: BuyerId, body: &str,
    ) -> CoreResult<BuyerNote> {
        let shop = self.buyer(viewer, buyer).await?.shop_id;
        may_write(viewer, shop)?;
        let now = self.clock.now();
        let note = BuyerNote {
            id: NoteId::new(),
            buyer_id: buyer,
            author_id: viewer.agent.id,
            body: validate_body(body)?,
            created_at: now,
            updated_at: now,
        };
        let mut w = self.store.begin_write().await?;
        notes::insert(&mut w, &note).await?;
        w.commit().await?;
        Ok(note)
    }

    /// A note the viewer may change: its own or, for the main account, any, in a shop
    /// it may chat in.
    async fn note(&self, viewer: &Viewer, buyer: BuyerId, id: NoteId) -> CoreResult<BuyerNote> {
        let shop = self.buyer(viewer, buyer).await?.shop_id;
        let note = notes::get(&self.store, buyer, id).await?.ok_or(CoreError::NotFound("note"))?;
        may_write(viewer, shop)?;
        if note.author_id != viewer.agent.id && !viewer.is_owner() {
            return Err(CoreError::Forbidden(
                "only the note's author or the main account may change it".into(),
            ));
        }
        Ok(note)
    }

    /// Edits a note.
    pub async fn edit_note(
        &self, viewer: &Viewer, buyer: BuyerId, id: NoteId, body: &str,
    ) -> CoreResult<BuyerNote> {
        let mut note = self.note(viewer, buyer, id).await?;
        note.body = validate_body(body)?;
        note.updated_at = self.clock.now();
        let mut w = self.store.begin_write().await?;
        notes::update(&mut w, &note).await?;
        w.commit().await?;
        Ok(note)
    }

    /// Deletes a note (notes, unlike messages, may be deleted: SH-NOTE-1).
    pub async fn delete_note(&self, viewer: &Viewer, buyer: BuyerId, id: NoteId) -> CoreResult<()> {
        self.note(viewer, buyer, id).await?;
        let mut w = self.store.begin_write().await?;
        notes::delete(&mut w, id).await?;
        w.commit().await
    }
}
