//! The buyer notes repository (SH-NOTE-1): internal notes kept with the buyer record,
//! the only user content that may be deleted.

use super::rows::{NOTE_COLUMNS, note_from_row};
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::*;
use crate::domain::model::BuyerNote;
use crate::error::CoreResult;

/// The notes on a buyer, oldest first.
pub async fn of_buyer(store: &Store, buyer: BuyerId) -> CoreResult<Vec<BuyerNote>> {
    let sql = format!(
        "SELECT {NOTE_COLUMNS} FROM buyer_notes WHERE buyer_id = $1 ORDER BY created_at, id"
    );
    let rows = store.rows(&sql, vec![buyer.into()]).await?;
    rows.iter().map(note_from_row).collect()
}

/// One note of a buyer.
pub async fn get(store: &Store, buyer: BuyerId, id: NoteId) -> CoreResult<Option<BuyerNote>> {
    let sql = format!("SELECT {NOTE_COLUMNS} FROM buyer_notes WHERE id = $1 AND buyer_id = $2");
    let row = store.row(&sql, vec![id.into(), buyer.into()]).await?;
    row.map(|r| note_from_row(&r)).transpose()
}

/// Inserts a note.
pub async fn insert(w: &mut WriteTx<'_>, note: &BuyerNote) -> CoreResult<()> {
    let sql = format!("INSERT INTO buyer_notes ({NOTE_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6)");
    w.run(
        &sql,
        vec![
            note.id.into(),
            note.buyer_id.into(),
            note.author_id.into(),
            note.body.clone().into(),
            note.created_at.into(),
            note.updated_at.into(),
        ],
    )
    .await
}

/// Saves a note's new text.
pub async fn update(w: &mut WriteTx<'_>, note: &BuyerNote) -> CoreResult<()> {
    w.run(
        "UPDATE buyer_notes SET body = $1, updated_at = $2 WHERE id = $3",
        vec![note.body.clone().into(), note.updated_at.into(), note.id.into()],
    )
    .await
}

/// Deletes a note.
pub async fn delete(w: &mut WriteTx<'_>, id: NoteId) -> CoreResult<()> {
    w.run("DELETE FROM buyer_notes WHERE id = $1", vec![id.into()]).await
}
