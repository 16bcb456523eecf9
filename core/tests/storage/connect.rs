//! Connecting shops and privacy requests, on every backend: a started authorization's
//! state is taken once and only before it expires; a privacy export holds the buyer's
//! data and is sealed; a redaction replaces the buyer's personal data and content —
//! every message stays (ALL-DEL-1) and the search no longer finds the words; the
//! request is recorded once per platform id.

use super::support::*;
use chrono::Duration;
use shopmux_contract::adapter::{InboundEvent, PrivacyKind, PrivacyRequest};
use shopmux_core::Clock;
use shopmux_core::domain::listing::{ConversationQuery, MessageQuery};
use shopmux_core::storage::connect_states::{self, ConnectState};

#[tokio::test]
async fn a_state_is_taken_once_and_only_before_it_expires() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "states").await;
        let now = t.clock.now();
        let state = ConnectState {
            seller_id: s.viewer.agent.seller_id,
            agent_id: s.viewer.agent.id,
            platform: "api".into(),
            shop_hint: Some("x".into()),
            expires_at: now + Duration::minutes(10),
        };
        let store = t.inbox.store();
        let mut w = store.begin_write().await.unwrap();
        connect_states::insert(&mut w, "h1", &state, now).await.unwrap();
        connect_states::insert(&mut w, "h2", &state, now).await.unwrap();
        w.commit().await.unwrap();
        let mut w = store.begin_write().await.unwrap();
        let taken = connect_states::take(&mut w, "h1", now).await.unwrap();
        assert_eq!(taken.as_ref(), Some(&state), "{}", t.name);
        assert_eq!(
            connect_states::take(&mut w, "h1", now).await.unwrap(),
            None,
            "{}: reused",
            t.name
        );
        assert_eq!(connect_states::take(&mut w, "nope", now).await.unwrap(), None, "{}", t.name);
        let late = now + Duration::minutes(11);
        assert_eq!(
            connect_states::take(&mut w, "h2", late).await.unwrap(),
            None,
            "{}: expired",
            t.name
        );
        w.commit().await.unwrap();
        // Expired states are forgotten when the next one is started.
        let mut w = store.begin_write().await.unwrap();
        connect_states::insert(&mut w, "h3", &state, late).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(connect_states::count(store).await.unwrap(), 1, "{}", t.name);
    }
}

fn request(kind: PrivacyKind, id: Option<&str>, buyers: &[&str]) -> Vec<InboundEvent> {
    vec![InboundEvent::PrivacyRequest {
        request: PrivacyRequest {
            kind,
            request_id: id.map(str::to_owned),
            buyer_external_ids: buyers.iter().map(|b| (*b).to_owned()).collect(),
            order_external_ids: vec!["o-1".into()],
        },
    }]
}

#[tokio::test]
async fn privacy_requests_export_and_redact_and_keep_every_message() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "privacy").await;
        let first = t.ingest(&s.shop, text("customer:42", "m-1", "I live at Elmstreet five")).await;
        t.ingest(&s.shop, text("customer:42", "m-2", "call me on zebraphone")).await;
        t.ingest(&s.shop, text("customer:7", "m-3", "Elmstreet too")).await;
        let found = |word: &str| {
            let q = ConversationQuery { q: Some(word.into()), ..Default::default() };
            let (inbox, viewer) = (t.inbox.clone(), s.viewer.clone());
            async move { inbox.list_conversations(&viewer, &q).await.unwrap().items.len() }
        };
        assert_eq!(found("elmstreet").await, 2, "{}", t.name);
        // The export: what shopmux holds on customer 42, sealed at rest.
        let applied = t
            .inbox
            .apply(&s.shop, request(PrivacyKind::Export, Some("r1"), &["customer:42"]))
            .await
            .unwrap();
        assert_eq!(applied.counts().privacy_requests, 1);
        let listed = t.inbox.privacy_requests(&s.viewer).await.unwrap();
        let detail = t.inbox.privacy_request_detail(&s.viewer, &listed[0].id).await.unwrap();
        let export = detail.export.unwrap().to_string();
        assert!(export.contains("Elmstreet five") && export.contains("zebraphone"), "{export}");
        assert!(!export.contains("customer:7"), "{}: only the buyer asked for", t.name);
        // A redelivery of the same request is recorded once.
        t.inbox
            .apply(&s.shop, request(PrivacyKind::Export, Some("r1"), &["customer:42"]))
            .await
            .unwrap();
        assert_eq!(t.inbox.privacy_requests(&s.viewer).await.unwrap().len(), 1, "{}", t.name);
        // The redaction: content replaced, nothing deleted, the words no longer found.
        t.inbox
            .apply(&s.shop, request(PrivacyKind::RedactBuyers, None, &["customer:42", "email:x@y"]))
            .await
            .unwrap();
        let page = t
            .inbox
            .messages(&s.viewer, first.conversation_id, &MessageQuery::default())
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2, "{}: every message stays", t.name);
        let shown = serde_json::to_string(&page.items).unwrap();
        assert!(!shown.contains("Elmstreet") && !shown.contains("zebraphone"), "{shown}");
        assert!(shown.contains("Content removed"), "{shown}");
        assert_eq!(found("zebraphone").await, 0, "{}: the search forgot the words", t.name);
        assert_eq!(found("elmstreet").await, 1, "{}: the other buyer is untouched", t.name);
        let records = t.inbox.privacy_requests(&s.viewer).await.unwrap();
        assert_eq!(
            (records[0].kind.as_str(), records[0].buyers_found, records[0].messages_redacted),
            ("redact_buyers", 1, 2)
        );
        // The shop's redaction reaches every buyer.
        t.inbox.apply(&s.shop, request(PrivacyKind::RedactShop, None, &[])).await.unwrap();
        assert_eq!(found("elmstreet").await, 0, "{}", t.name);
        let records = t.inbox.privacy_requests(&s.viewer).await.unwrap();
        assert_eq!((records[0].buyers_found, records[0].messages_redacted), (2, 3), "{}", t.name);
    }
}

/// The translated words of a redacted buyer's messages leave the translation cache too;
/// another buyer's stay.
#[tokio::test]
async fn a_redaction_forgets_the_buyers_cached_translations() {
    for (t, _sim) in inboxes_translating(None).await {
        let s = seller(&t.inbox, "privacy-tr").await;
        t.ingest(&s.shop, text("customer:42", "m-1", "Vivo en la calle Olmo cinco")).await;
        t.ingest(&s.shop, text("customer:7", "m-2", "Hola, ¿cuándo llegará mi pedido?")).await;
        assert_eq!(t.inbox.translate_pending_now().await.unwrap(), 2, "{}", t.name);
        let cached = async || {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT translated FROM translation_cache ORDER BY translated")
                    .fetch_all(t.inbox.store().pool())
                    .await
                    .unwrap();
            rows.into_iter().map(|r| r.0).collect::<Vec<_>>()
        };
        assert_eq!(cached().await.len(), 2, "{}", t.name);
        t.inbox
            .apply(&s.shop, request(PrivacyKind::RedactBuyers, None, &["customer:42"]))
            .await
            .unwrap();
        assert_eq!(cached().await, ["Hello, when will my order arrive?"], "{}", t.name);
    }
}
