//! Quick replies on both dialects (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): an account's own
//! set and a shop's, search across every language's text, reorder, and rendering from a
//! conversation's order and product card in the buyer's language.

use super::support::*;
use shopmux_core::CoreError;
use shopmux_core::domain::inbound::InboundMessage;
use shopmux_core::domain::quick_replies::{QuickReplyInput, Translation};
use shopmux_core::services::quick_replies::Scope;

fn input(group: &str, title: &str, text: &str, translations: &[(&str, &str)]) -> QuickReplyInput {
    QuickReplyInput {
        group: Some(group.into()),
        title: title.into(),
        text: text.into(),
        translations: translations
            .iter()
            .map(|(l, t)| Translation { language: (*l).into(), text: (*t).into() })
            .collect(),
    }
}

fn titles(list: &[shopmux_core::domain::quick_replies::QuickReply]) -> Vec<&str> {
    list.iter().map(|r| r.title.as_str()).collect()
}

#[tokio::test]
async fn own_and_shop_sets_are_kept_apart_searched_and_reordered() {
    // rule: ALL-SHOP-1, DY-QUICK-1, AE-QUICK-1
    for t in inboxes().await {
        let s = seller(&t.inbox, "qr").await;
        let shop = s.shop.shop_id;
        let agent = sub_account(&t.inbox, &s.viewer, "kim", 5, &[shop]).await;
        let inbox = &t.inbox;
        let shared = input(
            "Envío",
            "Shipped",
            "Your ORDER {order_id} is on its way",
            &[("es", "Su pedido {order_id} está en camino"), ("zh-CN", "您的订单{order_id}已发货")],
        );
        let a = inbox.create_quick_reply(&s.viewer, Some(shop), &shared).await.unwrap();
        let b = inbox
            .create_quick_reply(&s.viewer, Some(shop), &input("", "Hello", "Hi 100%", &[]))
            .await
            .unwrap();
        assert_eq!((a.position, b.position), (0, 1), "{}", t.name);
        let refused = inbox.create_quick_reply(&agent, Some(shop), &shared).await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{}: {refused:?}", t.name);
        let refused = inbox.update_quick_reply(&agent, a.id, &shared).await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{}: {refused:?}", t.name);
        let own =
            inbox.create_quick_reply(&agent, None, &input("", "Bye", "Bye!", &[])).await.unwrap();
        let list = inbox.quick_replies(&agent, Scope::All, None, None).await.unwrap();
        assert_eq!(titles(&list), ["Bye", "Shipped", "Hello"], "{}", t.name);
        let owners = inbox.quick_replies(&s.viewer, Scope::All, None, None).await.unwrap();
        assert_eq!(titles(&owners), ["Shipped", "Hello"], "{}: an agent's own is its own", t.name);
        let hidden = inbox.delete_quick_reply(&s.viewer, own.id).await;
        assert!(matches!(hidden, Err(CoreError::NotFound(_))), "{}", t.name);
        for (q, want) in [
            ("order", vec!["Shipped"]),
            ("PEDIDO", vec!["Shipped"]),
            ("订单", vec!["Shipped"]),
            ("envÍo", vec!["Shipped"]),
            ("100%", vec!["Hello"]),
            ("%", vec!["Hello"]),
            ("or_er", vec![]),
            ("by", vec!["Bye"]),
        ] {
            let found = inbox.quick_replies(&agent, Scope::All, None, Some(q)).await.unwrap();
            assert_eq!(titles(&found), want, "{}: q={q}", t.name);
        }
        let shop_only = inbox.quick_replies(&agent, Scope::Shop, Some(shop), None).await.unwrap();
        assert_eq!(titles(&shop_only), ["Shipped", "Hello"], "{}", t.name);
        let reordered = inbox.reorder_quick_replies(&s.viewer, Some(shop), &[b.id, a.id]).await;
        assert_eq!(titles(&reordered.unwrap()), ["Hello", "Shipped"], "{}", t.name);
        let partial = inbox.reorder_quick_replies(&s.viewer, Some(shop), &[b.id]).await;
        assert_invalid(partial, "ids", "every quick reply");
        let by_agent = inbox.reorder_quick_replies(&agent, Some(shop), &[a.id, b.id]).await;
        assert!(matches!(by_agent, Err(CoreError::Forbidden(_))), "{}", t.name);
        let changed = input("Envío", "Shipped", "Sent", &[]);
        let changed = inbox.update_quick_reply(&s.viewer, a.id, &changed).await.unwrap();
        assert_eq!((changed.position, changed.translations.len()), (1, 0), "{}", t.name);
        let gone = inbox.quick_replies(&agent, Scope::All, None, Some("pedido")).await.unwrap();
        assert!(gone.is_empty(), "{}: the search text follows an update", t.name);
        inbox.delete_quick_reply(&s.viewer, b.id).await.unwrap();
        let left = inbox.quick_replies(&agent, Scope::Shop, None, None).await.unwrap();
        assert_eq!(titles(&left), ["Shipped"], "{}", t.name);
        // Another seller sees none of it.
        let other = seller(&t.inbox, "other").await;
        let theirs = inbox.update_quick_reply(&other.viewer, a.id, &shared).await;
        assert!(matches!(theirs, Err(CoreError::NotFound(_))), "{}", t.name);
        let none = inbox.quick_replies(&other.viewer, Scope::All, None, None).await.unwrap();
        assert!(none.is_empty(), "{}", t.name);
    }
}

#[tokio::test]
async fn rendering_uses_the_conversations_order_card_product_card_and_buyers_language() {
    // rule: DY-QUICK-1
    for t in inboxes().await {
        let s = seller(&t.inbox, "render").await;
        let inbox = &t.inbox;
        let first: InboundMessage = serde_json::from_value(serde_json::json!({
            "buyer": {"external_id": "b1", "nickname": "Zofia", "language": "es-ES"},
            "platform_message_id": "m1",
            "content": {"type": "product_card", "product_id": "p1", "title": "Blue mug"},
            "order": {"external_id": "O-1", "status": "paid", "created_at": "2026-01-01T00:00:00Z"},
        }))
        .unwrap();
        let conversation = t.ingest(&s.shop, first).await.conversation_id;
        let second: InboundMessage = serde_json::from_value(serde_json::json!({
            "buyer": {"external_id": "b1"},
            "platform_message_id": "m2",
            "content": {"type": "text", "text": "?"},
            "order": {"external_id": "O-2", "status": "unpaid", "created_at": "2026-01-02T00:00:00Z"},
        }))
        .unwrap();
        t.ingest(&s.shop, second).await;
        let reply = input(
            "",
            "Status",
            "{order_id}: {order_status}",
            &[(
                "es",
                "{buyer_name}, pedido {order_id} ({order_status}) de {product_name} en {shop_name}, {agent_nickname}. {tracking_number}",
            )],
        );
        let reply =
            inbox.create_quick_reply(&s.viewer, Some(s.shop.shop_id), &reply).await.unwrap();
        let rendered = inbox.render_quick_reply(&s.viewer, conversation, reply.id).await.unwrap();
        assert_eq!(
            rendered.text,
            "Zofia, pedido O-2 (unpaid) de Blue mug en render shop, render. {tracking_number}",
            "{}: the newest order without an order card",
            t.name
        );
        assert_eq!(rendered.unfilled, ["tracking_number"], "{}", t.name);
        assert_eq!(rendered.language.as_deref(), Some("es"), "{}", t.name);
        // An order card in the conversation names the order it is about.
        let card: InboundMessage = serde_json::from_value(serde_json::json!({
            "buyer": {"external_id": "b1"},
            "platform_message_id": "m3",
            "content": {"type": "order_card", "order_id": "O-1"},
        }))
        .unwrap();
        t.ingest(&s.shop, card).await;
        let rendered = inbox.render_quick_reply(&s.viewer, conversation, reply.id).await.unwrap();
        assert!(rendered.text.contains("pedido O-1 (paid)"), "{}: {}", t.name, rendered.text);
        // A placeholder left in is never sent (rule: AE-QUICK-1).
        let refused = inbox.reply(&s.viewer, conversation, say(&rendered.text)).await;
        assert!(
            matches!(refused, Err(CoreError::Unprocessable { code: "unfilled_variable", .. })),
            "{}: {refused:?}",
            t.name
        );
        let other = seller(&t.inbox, "stranger").await;
        let theirs = inbox.render_quick_reply(&other.viewer, conversation, reply.id).await;
        assert!(matches!(theirs, Err(CoreError::NotFound(_))), "{}", t.name);
    }
}

#[tokio::test]
async fn the_tracking_number_of_a_stored_order_fills_the_variable() {
    // rule: DY-QUICK-1 (variables filled from the order), AE-QUICK-1 (never sent unfilled)
    use shopmux_contract::adapter::{EventBuyer, InboundEvent, OrderInfo};
    for t in inboxes().await {
        let s = seller(&t.inbox, "tracking").await;
        let inbox = &t.inbox;
        let conversation = t.conversation_of(&s.shop, text("b1", "m1", "where is it?")).await;
        let reply = input("", "Track", "Order {order_id}: {tracking_number}", &[]);
        let reply =
            inbox.create_quick_reply(&s.viewer, Some(s.shop.shop_id), &reply).await.unwrap();
        let order = |tracking: Option<&str>, updated: i64| InboundEvent::OrderUpdated {
            order: OrderInfo {
                external_id: "O-7".into(),
                buyer: EventBuyer { external_id: "b1".into(), ..Default::default() },
                status: Some("shipped".into()),
                updated_at_ms: Some(updated),
                tracking_number: tracking.map(Into::into),
                ..Default::default()
            },
        };
        inbox.apply(&s.shop, vec![order(None, 1_000)]).await.unwrap();
        let rendered = inbox.render_quick_reply(&s.viewer, conversation, reply.id).await.unwrap();
        assert_eq!(rendered.text, "Order O-7: {tracking_number}", "{}", t.name);
        assert_eq!(rendered.unfilled, ["tracking_number"], "{}", t.name);
        let refused = inbox.reply(&s.viewer, conversation, say(&rendered.text)).await;
        assert!(
            matches!(refused, Err(CoreError::Unprocessable { code: "unfilled_variable", .. })),
            "{}: {refused:?}",
            t.name
        );
        inbox.apply(&s.shop, vec![order(Some("LX123456789CN"), 2_000)]).await.unwrap();
        // A later notice silent on tracking keeps the stored number.
        inbox.apply(&s.shop, vec![order(None, 3_000)]).await.unwrap();
        let rendered = inbox.render_quick_reply(&s.viewer, conversation, reply.id).await.unwrap();
        assert_eq!(rendered.text, "Order O-7: LX123456789CN", "{}", t.name);
        assert!(rendered.unfilled.is_empty(), "{}", t.name);
        inbox.reply(&s.viewer, conversation, say(&rendered.text)).await.expect("sent filled");
    }
}
