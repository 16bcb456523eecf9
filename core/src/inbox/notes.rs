//! Internal notes on a buyer (SH-NOTE-1): never shown to the buyer, kept with the buyer
//! record, editable and deletable by the team.

use super::Inbox;
use super::accounts::Viewer;
use crate::clock::to_millis;
use crate::error::{CoreError, CoreResult};
use crate::ids::*;
use crate::model::*;
use crate::store::{BUYER_COLUMNS, NOTE_COLUMNS, buyer_from_row, note_from_row};
use serde::Deserialize;
use utoipa::ToSchema;

/// A note's text.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// The note (1 to 5000 characters).
    pub body: String,
}

fn validate_body(body: &str) -> CoreResult<String> {
    let b = body.trim();
    if b.is_empty() || b.chars().count() > 5000 {
        return Err(CoreError::invalid("body", "must be 1 to 5000 characters"));
    }
    Ok(b.to_owned())
}

impl Inbox {
    /// A buyer the viewer may see.
    pub async fn buyer(&self, viewer: &Viewer, id: BuyerId) -> CoreResult<Buyer> {
        let row = self
            .store
            .query(
                &format!("SELECT {BUYER_COLUMNS} FROM buyers WHERE id = $1"),
                vec![id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("buyer"))?;
        let buyer = buyer_from_row(&row)?;
        if !viewer.can_see(buyer.shop_id) {
            return Err(CoreError::NotFound("buyer"));
        }
        Ok(buyer)
    }

    /// The buyer's orders in its shop, newest first.
    pub async fn buyer_orders(&self, viewer: &Viewer, id: BuyerId) -> CoreResult<Vec<Order>> {
        self.buyer(viewer, id).await?;
        super::actions::buyer_orders(&self.store, self.store.pool(), id).await
    }

    /// The notes on a buyer, oldest first.
    pub async fn notes(&self, viewer: &Viewer, buyer: BuyerId) -> CoreResult<Vec<BuyerNote>> {
        self.buyer(viewer, buyer).await?;
        let rows = self.store.query(
            &format!(
                "SELECT {NOTE_COLUMNS} FROM buyer_notes WHERE buyer_id = $1 ORDER BY created_at, id"
            ),
            vec![buyer.to_string().into()],
        )
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(note_from_row).collect()
    }

    /// Adds a note on a buyer.
    pub async fn add_note(
        &self,
        viewer: &Viewer,
        buyer: BuyerId,
        input: NoteBody,
    ) -> CoreResult<BuyerNote> {
        self.buyer(viewer, buyer).await?;
        let now = self.clock.now();
        let note = BuyerNote {
            id: NoteId::new(),
            buyer_id: buyer,
            author_id: viewer.agent.id,
            body: validate_body(&input.body)?,
            created_at: now,
            updated_at: now,
        };
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                &format!("INSERT INTO buyer_notes ({NOTE_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6)"),
                vec![
                    note.id.to_string().into(),
                    buyer.to_string().into(),
                    note.author_id.to_string().into(),
                    note.body.clone().into(),
                    to_millis(now).into(),
                    to_millis(now).into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(note)
    }

    async fn note(&self, viewer: &Viewer, buyer: BuyerId, id: NoteId) -> CoreResult<BuyerNote> {
        self.buyer(viewer, buyer).await?;
        let row = self
            .store
            .query(
                &format!("SELECT {NOTE_COLUMNS} FROM buyer_notes WHERE id = $1 AND buyer_id = $2"),
                vec![id.to_string().into(), buyer.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("note"))?;
        note_from_row(&row)
    }

    /// Edits a note.
    pub async fn edit_note(
        &self,
        viewer: &Viewer,
        buyer: BuyerId,
        id: NoteId,
        input: NoteBody,
    ) -> CoreResult<BuyerNote> {
        let mut note = self.note(viewer, buyer, id).await?;
        note.body = validate_body(&input.body)?;
        note.updated_at = self.clock.now();
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                "UPDATE buyer_notes SET body = $1, updated_at = $2 WHERE id = $3",
                vec![
                    note.body.clone().into(),
                    to_millis(note.updated_at).into(),
                    id.to_string().into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(note)
    }

    /// Deletes a note (notes, unlike messages, may be deleted: SH-NOTE-1).
    pub async fn delete_note(&self, viewer: &Viewer, buyer: BuyerId, id: NoteId) -> CoreResult<()> {
        self.note(viewer, buyer, id).await?;
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                "DELETE FROM buyer_notes WHERE id = $1",
                vec![id.to_string().into()],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
