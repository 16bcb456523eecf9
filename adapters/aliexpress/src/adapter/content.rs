//! Content in and out of the message centre: a buyer's message as typed contents (text,
//! or the order or product it is about, then its images) with its entry point; a reply as
//! the `addmsg` message that carries it; and the content rules checked before a reply is
//! accepted or sent (AE-COUPON-1, AE-AUTO-4).

use shopmux_contract::ContentKind;
use shopmux_contract::adapter::{AdapterError, EntryPoint, MessageContent, OutboundRefusal};
use shopmux_contract::content::CouponScope;
use shopmux_contract::rules::RuleSet;

use crate::wire::{MessageDetail, MessageKind};

/// The content of a buyer's message, with the id of each: its text (or, without text,
/// the order or product it is about), then its images.
pub(super) fn content_events(message: &MessageDetail) -> Vec<(String, MessageContent)> {
    let mut out = Vec::new();
    let text = message.content.as_deref().unwrap_or_default().trim();
    let extern_id = message.extern_id.as_deref().filter(|id| !id.is_empty() && *id != "0");
    let summary = message.summary.clone().unwrap_or_default();
    if !text.is_empty() {
        out.push((message.id.clone(), MessageContent::Text { text: text.to_owned() }));
    } else {
        match (message.message_type.as_deref(), extern_id) {
            (Some("order"), Some(order)) => {
                out.push((
                    message.id.clone(),
                    MessageContent::OrderCard { order_id: order.to_owned(), status: None },
                ));
            }
            (Some("product"), Some(product)) => {
                let card = MessageContent::ProductCard {
                    product_id: product.to_owned(),
                    title: summary.product_name.clone().unwrap_or_else(|| product.to_owned()),
                    url: summary.product_detail_url.clone(),
                    image_url: None,
                    price: None,
                };
                out.push((message.id.clone(), card));
            }
            _ => {}
        }
    }
    // Images are messages of their own (one content each), their ids derived from the
    // platform's so they stay stable across polls.
    let images: Vec<String> = message
        .file_path_list
        .clone()
        .into_vec()
        .iter()
        .filter_map(|path| path.best().map(str::to_owned))
        .collect();
    for (n, url) in images.into_iter().enumerate() {
        let id = if out.is_empty() && n == 0 {
            message.id.clone()
        } else {
            format!("{}:img{n}", message.id)
        };
        out.push((id, MessageContent::Image { url }));
    }
    out
}

/// Where the buyer wrote from (ALL-SRC-1), as the message's attachment says: an order's
/// message board (`order`) or a product's (`product`); a shop message (`member`) does not
/// say.
pub(super) fn entry_point(message: &MessageDetail) -> Option<EntryPoint> {
    match message.message_type.as_deref() {
        Some("order") => Some(EntryPoint::OrderPage),
        Some("product") => Some(EntryPoint::ProductPage),
        _ => None,
    }
}

/// The first content rule a reply breaks: AE-COUPON-1, then AE-AUTO-4 (each from the rule
/// set, so a rule set without it lets the content through).
pub(super) fn refusal(content: &MessageContent, rules: &RuleSet) -> Option<OutboundRefusal> {
    coupon_refusal(content, rules).or_else(|| auto_reply_refusal(content, rules))
}

/// AE-COUPON-1: a coupon card that does not say it is store-wide (targeted, or no scope).
fn coupon_refusal(content: &MessageContent, rules: &RuleSet) -> Option<OutboundRefusal> {
    let rule = rules.limits.store_wide_coupons_only.as_ref()?;
    let MessageContent::CouponCard { code, scope, .. } = content else {
        return None;
    };
    let scope = match scope {
        Some(CouponScope::Store) => return None,
        Some(CouponScope::Targeted) => "targeted",
        None => "not marked store-wide",
    };
    // rule: AE-COUPON-1 (only store-wide coupons can be sent in chat)
    Some(OutboundRefusal {
        rule: rule.clone(),
        message: format!(
            "only store-wide coupons can be sent in AliExpress chat; `{code}` is {scope}"
        ),
    })
}

/// AE-AUTO-4: an automatic message carries 3 to 9 quick actions when it carries any.
fn auto_reply_refusal(content: &MessageContent, rules: &RuleSet) -> Option<OutboundRefusal> {
    let rule = rules.auto_reply.as_ref()?;
    let MessageContent::AutoReply { actions, .. } = content else {
        return None;
    };
    let n = actions.len() as u32;
    if n == 0 || (rule.min_actions..=rule.max_actions).contains(&n) {
        return None;
    }
    // rule: AE-AUTO-4 (3 to 9 quick actions)
    Some(OutboundRefusal {
        rule: rule.actions_rule.clone(),
        message: format!(
            "{n} quick actions: an automatic message carries {} to {}",
            rule.min_actions, rule.max_actions
        ),
    })
}

/// A numeric id for `extern_id`, or a permanent error naming it.
fn numeric_id(what: &str, id: &str) -> Result<i64, AdapterError> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        AdapterError::permanent(
            "unsupported_content",
            format!("AliExpress takes numeric {what} ids; `{id}` is not one"),
        )
    })
}

/// A text that is there: `None` for an absent or empty one.
fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|text| !text.is_empty())
}

/// The name of a content kind as the contract writes it (`product_list`).
fn kind_name(kind: ContentKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|name| name.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The message-centre message for a content, or a permanent error for what the message
/// centre cannot carry.
pub(super) fn outbound(
    content: &MessageContent,
) -> Result<(MessageKind, i64, String, Option<String>), AdapterError> {
    Ok(match content {
        MessageContent::Text { text } => (MessageKind::Member, 0, text.clone(), None),
        MessageContent::Emoji { code } => (MessageKind::Member, 0, code.clone(), None),
        // An image travels in `img_path`, with no text.
        MessageContent::Image { url } if url.is_empty() => {
            return Err(AdapterError::permanent(
                "unsupported_content",
                "an image without a URL cannot be sent",
            ));
        }
        MessageContent::Image { url } => (MessageKind::Member, 0, String::new(), Some(url.clone())),
        MessageContent::ProductCard { product_id, title, url, .. } => {
            let title = if title.is_empty() { product_id } else { title };
            let text = match given(url) {
                None => title.clone(),
                Some(url) => format!("{title} {url}"),
            };
            let id = numeric_id("product", product_id)?;
            (MessageKind::Product, id, text, None)
        }
        MessageContent::OrderCard { order_id, status } => {
            let text = match given(status) {
                None => format!("Order {order_id}"),
                Some(status) => format!("Order {order_id}: {status}"),
            };
            let id = numeric_id("order", order_id)?;
            (MessageKind::Order, id, text, None)
        }
        MessageContent::CouponCard { code, title, .. } => {
            let text = match given(title) {
                None => format!("Coupon: {code}"),
                Some(title) => format!("Coupon: {title} ({code})"),
            };
            (MessageKind::Member, 0, text, None)
        }
        MessageContent::AutoReply { text, actions } => {
            let mut text = text.clone();
            for action in actions {
                text.push_str(&format!("\n- {}: {}", action.title, action.content));
            }
            (MessageKind::Member, 0, text, None)
        }
        other => {
            return Err(AdapterError::permanent(
                "unsupported_content",
                format!(
                    "AliExpress's message centre cannot carry `{}` messages",
                    kind_name(other.kind())
                ),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_contract::content::{QuickAction, QuickActionKind};

    fn rules() -> RuleSet {
        crate::rule_set()
    }

    fn coupon(code: &str, scope: Option<CouponScope>) -> MessageContent {
        MessageContent::CouponCard { code: code.into(), title: None, scope }
    }

    #[test]
    fn targeted_or_unscoped_coupons_are_refused_naming_the_rule() {
        let targeted = coupon("VIP5", Some(CouponScope::Targeted));
        let refusal = coupon_refusal(&targeted, &rules()).expect("refused");
        assert_eq!(refusal.rule, "AE-COUPON-1");
        assert!(refusal.message.contains("VIP5"), "{}", refusal.message);
        let unscoped = coupon("X", None);
        assert!(coupon_refusal(&unscoped, &rules()).is_some());
        let store = coupon("ALL5", Some(CouponScope::Store));
        assert_eq!(coupon_refusal(&store, &rules()), None);
        // Data-driven: a rule set without the limit lets it through.
        let mut open = rules();
        open.limits.store_wide_coupons_only = None;
        assert_eq!(coupon_refusal(&targeted, &open), None);
    }

    #[test]
    fn automatic_messages_carry_three_to_nine_actions() {
        let with = |n: usize| MessageContent::AutoReply {
            text: "hi".into(),
            actions: (0..n)
                .map(|i| QuickAction {
                    title: format!("t{i}"),
                    kind: QuickActionKind::Text,
                    content: "c".into(),
                })
                .collect(),
        };
        assert_eq!(auto_reply_refusal(&with(0), &rules()), None);
        assert_eq!(auto_reply_refusal(&with(3), &rules()), None);
        assert_eq!(auto_reply_refusal(&with(9), &rules()), None);
        for n in [1, 2, 10] {
            let refusal = auto_reply_refusal(&with(n), &rules()).expect("refused");
            assert_eq!(refusal.rule, "AE-AUTO-4");
        }
    }

    #[test]
    fn content_maps_to_message_centre_messages() {
        let (kind, extern_id, text, img) = outbound(&MessageContent::OrderCard {
            order_id: "8100000000000001".into(),
            status: None,
        })
        .unwrap();
        assert_eq!(
            (kind, extern_id, text.as_str(), img),
            (MessageKind::Order, 8_100_000_000_000_001, "Order 8100000000000001", None)
        );
        let image = |url: &str| MessageContent::Image { url: url.into() };
        let (kind, _, text, img) = outbound(&image("https://ae01.alicdn.com/a.jpg")).unwrap();
        assert_eq!((kind, text.as_str()), (MessageKind::Member, ""));
        assert_eq!(img.as_deref(), Some("https://ae01.alicdn.com/a.jpg"));
        assert!(outbound(&image("")).is_err());
        let e = outbound(&MessageContent::ProductCard {
            product_id: "abc".into(),
            title: "t".into(),
            url: None,
            image_url: None,
            price: None,
        })
        .unwrap_err();
        assert_eq!((e.code.as_str(), e.retryable), ("unsupported_content", false));
        let e = outbound(&MessageContent::Video { url: "u".into() }).unwrap_err();
        assert!(e.message.contains("`video`"), "{}", e.message);
    }

    #[test]
    fn an_order_or_product_message_says_where_the_buyer_wrote_from() {
        // rule: ALL-SRC-1 (the entry point is recorded when the platform says it)
        let message = |kind: &str| MessageDetail {
            id: "9".into(),
            message_type: Some(kind.into()),
            ..MessageDetail::default()
        };
        assert_eq!(entry_point(&message("order")), Some(EntryPoint::OrderPage));
        assert_eq!(entry_point(&message("product")), Some(EntryPoint::ProductPage));
        assert_eq!(entry_point(&message("member")), None);
    }
}
