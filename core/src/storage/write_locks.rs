//! The locks writers take first on PostgreSQL, so that concurrent transactions (this
//! daemon's ingest writers, other daemons', the router, agents' actions) never wait on
//! each other in a cycle:
//!
//! - a **seller's lock**: exclusive for routing and account changes
//!   ([`lock_seller`]), shared by ingest groups, so that the groups of one seller run
//!   at once while a routing pass waits for them (and they for it);
//! - a **buyer's lock**, exclusive, taken by an ingest group for each of its buyers, so
//!   that two groups with the same buyer (on two daemons) take turns instead of locking
//!   the buyer's rows and conversation in different orders.
//!
//! Both are transaction-level advisory locks (PostgreSQL's lock manager queues them
//! fairly: a waiting exclusive request is not overtaken by later shared ones), keyed by
//! a 32-bit hash ([`lock_key`]) under a class per kind and schema. A collision only
//! makes two keys take turns. Each transaction takes its sellers' locks, then its
//! buyers', each in key order, before anything else. On SQLite the write gate already
//! serializes every writer, and nothing is taken.

use super::multi_row::keys_source;
use super::sql::Val;
use super::store::Backend;
use super::write::WriteTx;
use crate::domain::ids::{SellerId, ShopId};
use crate::error::CoreResult;

/// A key's 32-bit lock number: FNV-1a, so that every daemon (any build) agrees.
pub fn lock_key(parts: &[&str]) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for (i, part) in parts.iter().enumerate() {
        let sep: &[u8] = if i > 0 { &[0] } else { &[] };
        for byte in sep.iter().chain(part.as_bytes()) {
            hash = (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193);
        }
    }
    hash as i32
}

/// A buyer's lock number, which also picks the ingest writer (lane) its messages go to.
pub fn buyer_key(shop: ShopId, external_id: &str) -> i32 {
    lock_key(&[&shop.to_string(), external_id])
}

fn seller_keys(sellers: &[SellerId]) -> Vec<Val> {
    sorted(sellers.iter().map(|s| lock_key(&[&s.to_string()])))
}

fn sorted(keys: impl Iterator<Item = i32>) -> Vec<Val> {
    let mut keys: Vec<i32> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter().map(|k| Val::Int(k.into())).collect()
}

/// One lock call per key of `keys` (an array at `$n`), in their order, under `class`.
fn lock_each(function: &str, class: &str, keys: &[Val], n: usize) -> (String, Val) {
    let (source, array) = keys_source(keys, n);
    let sql = format!(
        "SELECT {function}(hashtext(current_schema() || ':{class}'), CAST(k.key AS INT)) AS l \
         FROM {source}"
    );
    (sql, array)
}

/// Takes the seller's routing lock, exclusive, for the rest of the transaction.
pub async fn lock_seller(w: &mut WriteTx<'_>, seller: SellerId) -> CoreResult<()> {
    if w.store().backend() == Backend::Sqlite {
        return Ok(());
    }
    let (sql, array) = lock_each("pg_advisory_xact_lock", "seller", &seller_keys(&[seller]), 1);
    w.run(&format!("SELECT COUNT(*) AS n FROM ({sql}) AS locks"), vec![array]).await
}

/// Takes an ingest group's locks for the rest of the transaction: its sellers' shared,
/// then its buyers' (by shop and external id) exclusive, in one statement.
pub async fn lock_ingest_group(
    w: &mut WriteTx<'_>, sellers: &[SellerId], buyers: &[(ShopId, &str)],
) -> CoreResult<()> {
    if w.store().backend() == Backend::Sqlite || sellers.is_empty() {
        return Ok(());
    }
    let buyer_keys = sorted(buyers.iter().map(|(shop, ext)| buyer_key(*shop, ext)));
    let (shared, sellers) =
        lock_each("pg_advisory_xact_lock_shared", "seller", &seller_keys(sellers), 1);
    let (exclusive, buyers) = lock_each("pg_advisory_xact_lock", "buyer", &buyer_keys, 2);
    // An `Append` runs its parts in order: the sellers' locks before the buyers'.
    let sql = format!("SELECT COUNT(*) AS n FROM ({shared} UNION ALL {exclusive}) AS locks");
    w.run(&sql, vec![sellers, buyers]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_fnv_1a_over_the_parts_with_a_separator() {
        // FNV-1a 32 of "a" is 0xe40c292c; of "" the offset basis.
        assert_eq!(lock_key(&["a"]), 0xe40c_292c_u32 as i32);
        assert_eq!(lock_key(&[""]), 0x811c_9dc5_u32 as i32);
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(lock_key(&["ab", "c"]), lock_key(&["a", "bc"]));
    }
}
