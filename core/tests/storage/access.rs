//! Access in the core, on every backend: the search's candidate cap is per seller (one
//! seller's messages never crowd another's out of its own search), a shop's identity is
//! unique per seller (migration 0010), and a deactivated account is routed nothing and
//! authenticates nothing.

use crate::support::*;
use shopmux_core::CoreError;
use shopmux_core::domain::model::Platform;
use shopmux_core::services::shops::NewShop;
use shopmux_core::storage::conversation_list::MAX_MESSAGE_HITS;

#[tokio::test]
async fn the_search_candidate_cap_applies_per_seller() {
    for t in inboxes().await {
        let quiet = seller(&t.inbox, "quiet").await;
        t.ingest(&quiet.shop, text("q", "q-1", "where is my parcel")).await;
        // Another seller then stores more matching messages than the cap, all newer.
        let busy = seller(&t.inbox, "busy").await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..=MAX_MESSAGE_HITS {
            let (inbox, shop) = (t.inbox.clone(), busy.shop.clone());
            tasks.spawn(async move {
                let m = text(&format!("b{}", i % 50), &format!("b-{i}"), "parcel parcel");
                inbox.ingest(shop, m).await.expect("stored")
            });
            if tasks.len() >= 256 {
                tasks.join_next().await;
            }
        }
        while tasks.join_next().await.is_some() {}
        let found = |viewer| {
            let q = query(|q| q.q = Some("parcel".into()));
            let t = &t;
            async move { t.list(viewer, q).await.items.len() }
        };
        assert_eq!(found(&quiet.viewer).await, 1, "{}: the quiet seller finds its own", t.name);
        assert!(found(&busy.viewer).await > 0, "{}", t.name);
    }
}

fn same_shop() -> NewShop {
    NewShop {
        platform: Platform::new("api").unwrap(),
        external_id: "shared-1".into(),
        region: Some("PL".into()),
        name: "Shop".into(),
        settings: None,
    }
}

#[tokio::test]
async fn a_shops_identity_is_unique_per_seller_not_across_sellers() {
    for t in inboxes().await {
        let a = t.inbox.create_owner("A").await.unwrap();
        let b = t.inbox.create_owner("B").await.unwrap();
        let (a, b) = (viewer(&t.inbox, &a.token).await, viewer(&t.inbox, &b.token).await);
        t.inbox.create_shop(&a, same_shop()).await.expect("a connects it");
        t.inbox.create_shop(&b, same_shop()).await.expect("b connects the same identity");
        let again = t.inbox.create_shop(&a, same_shop()).await;
        assert!(matches!(again, Err(CoreError::Conflict(_))), "{}: {again:?}", t.name);
    }
}

#[tokio::test]
async fn a_deactivated_account_authenticates_nothing_and_is_routed_nothing() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "deact").await;
        let grants = vec![shopmux_core::domain::model::ShopGrant {
            shop_id: s.shop.shop_id,
            can_chat: true,
        }];
        let new = shopmux_core::services::accounts::NewAgent {
            nickname: "ana".into(),
            role: None,
            capacity: Some(5),
            shops: grants,
            login: None,
            password: None,
        };
        let ana = t.inbox.create_agent(&s.viewer, new).await.unwrap();
        let ana_viewer = viewer(&t.inbox, &ana.token).await;
        go_online(&t.inbox, &ana_viewer).await;
        t.inbox.deactivate_agent(&s.viewer, ana.agent.id).await.unwrap();
        assert!(t.inbox.authenticate(&ana.token).await.unwrap().is_none(), "{}", t.name);
        let outcome = t.ingest(&s.shop, text("b", "m-1", "hello")).await;
        t.inbox.drain_all().await.unwrap();
        let c = t.conversation(&s.viewer, outcome.conversation_id).await;
        assert_ne!(c.assignee_id, Some(ana.agent.id), "{}: routed to a deactivated agent", t.name);
    }
}

#[tokio::test]
async fn a_lost_chat_permission_sends_the_agents_conversations_back_to_routing() {
    use shopmux_core::domain::conversation::Change;
    use shopmux_core::domain::model::{ConversationState, ShopGrant};
    for t in inboxes().await {
        let s = seller(&t.inbox, "lost").await;
        let grant = |can_chat| vec![ShopGrant { shop_id: s.shop.shop_id, can_chat }];
        let new = shopmux_core::services::accounts::NewAgent {
            nickname: "ana".into(),
            role: None,
            capacity: Some(5),
            shops: grant(true),
            login: None,
            password: None,
        };
        let ana = t.inbox.create_agent(&s.viewer, new).await.unwrap();
        let outcome = t.ingest(&s.shop, text("b", "m-1", "hello")).await;
        let id = outcome.conversation_id;
        t.inbox.change(&s.viewer, id, Change::Assign(ana.agent.id)).await.unwrap();
        let mut accounts = t.inbox.events().subscribe_accounts();
        t.inbox.set_grants(&s.viewer, ana.agent.id, grant(false)).await.unwrap();
        let c = t.conversation(&s.viewer, id).await;
        assert_eq!((c.state, c.assignee_id), (ConversationState::Unassigned, None), "{}", t.name);
        assert_eq!(
            accounts.try_recv().ok(),
            Some(s.viewer.agent.seller_id),
            "{}: announced",
            t.name
        );
    }
}
