//! Cart changes as the agent sees them (SH-CART-1): the cart events a change of a
//! cart's lines shows — what was added and what was removed since its last known state,
//! each with every line of the cart after it — and cart tokens as stored.

use crate::error::{CoreError, CoreResult};
use shopmux_contract::adapter::CartLineInfo;
use shopmux_contract::content::{CartAction, CartLine, MessageContent};
use std::collections::BTreeMap;

/// A cart's lines by their key.
pub type Lines = BTreeMap<String, CartLineInfo>;

/// A cart token as stored: what `/cart.js` reports may carry a `?key=` suffix that the
/// cart webhooks do not.
pub fn normalize_cart_token(token: &str) -> CoreResult<String> {
    let token = token.split('?').next().unwrap_or("").trim();
    if token.is_empty()
        || token.len() > 200
        || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(CoreError::invalid("cart_token", "must be 1 to 200 letters, digits, - or _"));
    }
    Ok(token.to_owned())
}

/// The events a change from `before` to `after` shows, tagged `add` and `remove`: an
/// event for products added (a quantity went up) and one for products removed (a
/// quantity went down). Every event lists every line of the cart after it; a line
/// removed entirely shows with quantity 0 so the agent sees what went.
pub fn cart_events(
    before: &Lines, after: &Lines, subtotal: Option<&str>,
) -> Vec<(&'static str, MessageContent)> {
    let added = after.iter().any(|(k, l)| l.quantity > before.get(k).map_or(0, |b| b.quantity));
    let removed = before.iter().any(|(k, b)| b.quantity > after.get(k).map_or(0, |l| l.quantity));
    let subtotal = subtotal.unwrap_or("").trim();
    let subtotal = if subtotal.is_empty() { "?" } else { subtotal };
    let line =
        |l: &CartLineInfo, quantity: u32| CartLine { product_name: l.title.clone(), quantity };
    let mut out = Vec::new();
    for (happened, action, tag) in
        [(added, CartAction::Add, "add"), (removed, CartAction::Remove, "remove")]
    {
        if !happened {
            continue;
        }
        let mut shown: Vec<CartLine> = after.values().map(|l| line(l, l.quantity)).collect();
        if action == CartAction::Remove {
            let gone = before.iter().filter(|(k, _)| !after.contains_key(*k));
            shown.extend(gone.map(|(_, b)| line(b, 0)));
        }
        let content =
            MessageContent::CartEvent { action, subtotal: subtotal.to_owned(), lines: shown };
        out.push((tag, content));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_tokens_drop_the_key_suffix_and_refuse_odd_bytes() {
        assert_eq!(normalize_cart_token("c1-abc123?key=zzz").unwrap(), "c1-abc123");
        assert!(normalize_cart_token("").is_err());
        assert!(normalize_cart_token("a b").is_err());
        assert!(normalize_cart_token("x'; DROP").is_err());
    }

    #[test]
    fn a_swap_shows_an_added_and_a_removed_event() {
        // rule: SH-CART-1
        let lines = |pairs: &[(&str, u32)]| -> Lines {
            pairs
                .iter()
                .map(|(k, q)| {
                    let l = CartLineInfo {
                        key: (*k).into(),
                        title: Some(format!("P{k}")),
                        quantity: *q,
                    };
                    ((*k).to_owned(), l)
                })
                .collect()
        };
        let events = cart_events(&lines(&[("a", 1)]), &lines(&[("b", 2)]), Some(" 9.00 USD "));
        let tags: Vec<&str> = events.iter().map(|(t, _)| *t).collect();
        assert_eq!(tags, ["add", "remove"]);
        let MessageContent::CartEvent { lines: shown, subtotal, .. } = &events[1].1 else {
            panic!("a cart event");
        };
        assert_eq!(subtotal, "9.00 USD");
        let gone = shown.iter().find(|l| l.product_name.as_deref() == Some("Pa"));
        assert_eq!(gone.map(|l| l.quantity), Some(0));
        assert!(cart_events(&lines(&[("a", 1)]), &lines(&[("a", 1)]), None).is_empty());
    }
}
