//! Routing over the API: presence, the queue, and the connected flag driven by live
//! streams (TT-AGENT-3): no stream, no automatic assignment; connecting assigns the
//! oldest queued conversation at once and pushes it on the agent's stream.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A sub-account of the owner with chat permission in `shop`; returns (id, token).
async fn sub_account(d: &TestDaemon, owner: &str, nickname: &str, shop: &str) -> (String, String) {
    let (status, body) = d
        .call(
            Method::POST,
            "/api/v1/agents",
            Some(owner),
            Some(json!({"nickname": nickname, "shops": [{"shop_id": shop, "can_chat": true}]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["agent"]["id"].as_str().unwrap().into(),
        body["token"].as_str().unwrap().into(),
    )
}

async fn presence(d: &TestDaemon, token: &str) -> Value {
    let (status, body) = d
        .call(Method::GET, "/api/v1/me/presence", Some(token), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Polls the caller's presence until `done` holds (the stream's end is noticed by the
/// server after the socket goes), failing after 10 s.
async fn wait_presence(d: &TestDaemon, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = presence(d, token).await;
        if done(&p) {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "presence never reached the state: {p}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn tt_agent_3_no_stream_no_assignment_and_connecting_assigns_the_oldest_queued_at_once() {
    let d = start().await;
    let owner = d.owner("Router").await;
    let (shop, ingest) = d.marketplace_shop(&owner, "douyin", "dy-route").await;
    let (agent_id, agent) = sub_account(&d, &owner, "ana", &shop).await;

    // Online with the switch on, capacity 1, but no stream open.
    let (status, p) = d
        .call(
            Method::PUT,
            "/api/v1/me/presence",
            Some(&agent),
            Some(json!({"status": "online", "capacity": 1})),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        (p["connected"].as_bool(), p["available"].as_bool()),
        (Some(false), Some(false))
    );

    let first = d.feed(&ingest, message("b1", "m1", "first")).await.unwrap();
    let second = d
        .feed(&ingest, message("b2", "m2", "second"))
        .await
        .unwrap();
    d.inbox.drain_all().await.unwrap();
    for id in [first.conversation_id, second.conversation_id] {
        let (_, c) = d
            .call(
                Method::GET,
                &format!("/api/v1/conversations/{id}"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(c["conversation"]["state"], "unassigned", "{c}");
    }
    // ALL-QUEUE-1 and the positions of the waiting buyers.
    let (_, counts) = d
        .call(Method::GET, "/api/v1/counts", Some(&owner), None)
        .await;
    assert_eq!(counts["shops"][&shop]["queued"], 2, "{counts}");
    let (_, queue) = d
        .call(
            Method::GET,
            &format!("/api/v1/shops/{shop}/queue"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(queue["policy"], "idle_rate", "{queue}");
    assert_eq!(queue["entries"][0]["position"], 1);
    assert_eq!(
        queue["entries"][0]["conversation_id"],
        first.conversation_id.to_string()
    );

    // Connecting: the oldest is assigned and pushed on the agent's stream within a second.
    let connected_at = Instant::now();
    let mut ws = d.stream(&agent).await;
    let event = next_event(&mut ws, |e| {
        e["type"] == "conversation_updated" && e["conversation"]["assignee_id"] == agent_id.as_str()
    })
    .await;
    let took = connected_at.elapsed();
    assert!(took < Duration::from_secs(1), "assigned after {took:?}");
    assert_eq!(
        event["conversation"]["id"],
        first.conversation_id.to_string()
    );
    assert_eq!(event["conversation"]["state"], "in_progress");
    let (_, queue) = d
        .call(
            Method::GET,
            &format!("/api/v1/shops/{shop}/queue"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(
        queue["entries"].as_array().map(Vec::len),
        Some(1),
        "{queue}"
    );
    assert_eq!(
        queue["entries"][0]["conversation_id"],
        second.conversation_id.to_string()
    );

    // The owner's team view shows the agent connected and its load; agents cannot see it.
    let (status, team) = d
        .call(Method::GET, "/api/v1/team/presence", Some(&owner), None)
        .await;
    assert_eq!(status, 200, "{team}");
    let ana = team
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["agent_id"] == agent_id.as_str())
        .unwrap();
    assert_eq!(
        (
            ana["connected"].as_bool(),
            ana["load"].as_i64(),
            ana["capacity"].as_i64()
        ),
        (Some(true), Some(1), Some(1))
    );
    let (status, body) = d
        .call(Method::GET, "/api/v1/team/presence", Some(&agent), None)
        .await;
    assert_eq!(status, 403, "{body}");

    // Raising capacity (DY-CAP-1, by the agent itself) takes the next one at once.
    let (status, _) = d
        .call(
            Method::PUT,
            "/api/v1/me/presence",
            Some(&agent),
            Some(json!({"capacity": 2})),
        )
        .await;
    assert_eq!(status, 200);
    let event = next_event(&mut ws, |e| {
        e["type"] == "conversation_updated"
            && e["conversation"]["id"] == second.conversation_id.to_string()
    })
    .await;
    assert_eq!(event["conversation"]["assignee_id"], agent_id.as_str());

    // Closing the stream disconnects the agent: nothing more comes automatically.
    drop(ws);
    wait_presence(&d, &agent, |p| p["connected"] == false).await;
    d.call(
        Method::PUT,
        "/api/v1/me/presence",
        Some(&agent),
        Some(json!({"capacity": 3})),
    )
    .await;
    let third = d.feed(&ingest, message("b3", "m3", "third")).await.unwrap();
    d.inbox.drain_all().await.unwrap();
    let (_, c) = d
        .call(
            Method::GET,
            &format!("/api/v1/conversations/{}", third.conversation_id),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(c["conversation"]["state"], "unassigned", "{c}");
}

#[tokio::test]
async fn a_stream_that_stops_answering_pings_disconnects_its_agent() {
    let d = start_tuned(|c| c.server.stream_ping = Duration::from_secs(1)).await;
    let owner = d.owner("Pings").await;
    let (shop, _) = d.marketplace_shop(&owner, "douyin", "dy-pings").await;
    let (_, agent) = sub_account(&d, &owner, "ana", &shop).await;
    // The client never reads, so it never answers the server's pings.
    let ws = d.stream(&agent).await;
    wait_presence(&d, &agent, |p| p["connected"] == true).await;
    wait_presence(&d, &agent, |p| p["connected"] == false).await;
    drop(ws);
}

#[tokio::test]
async fn tt_queue_2_and_tt_xfer_1_agents_take_queued_conversations_and_transfer_by_nickname() {
    let d = start().await;
    let owner = d.owner("Hands").await;
    let (shop, ingest) = d.marketplace_shop(&owner, "tiktok", "tt-hands").await;
    let (ana_id, ana) = sub_account(&d, &owner, "ana", &shop).await;
    let (ben_id, _ben) = sub_account(&d, &owner, "ben", &shop).await;
    // Nobody connected: both conversations wait unassigned (TT-QUEUE-1).
    let one = d.feed(&ingest, message("b1", "m1", "one")).await.unwrap();
    let two = d.feed(&ingest, message("b2", "m2", "two")).await.unwrap();
    d.inbox.drain_all().await.unwrap();
    let path = |id: &shopmux_core::domain::ids::ConversationId, action: &str| {
        format!("/api/v1/conversations/{id}/{action}")
    };
    // rule: TT-QUEUE-2 — an agent assigns one to itself and one to a colleague.
    let (status, c) = d
        .call(
            Method::POST,
            &path(&one.conversation_id, "assign"),
            Some(&ana),
            Some(json!({"agent_id": ana_id})),
        )
        .await;
    assert_eq!(
        (status, c["assignee_id"].as_str()),
        (200, Some(ana_id.as_str())),
        "{c}"
    );
    let (status, c) = d
        .call(
            Method::POST,
            &path(&two.conversation_id, "assign"),
            Some(&ana),
            Some(json!({"nickname": "ben"})),
        )
        .await;
    assert_eq!(
        (status, c["assignee_id"].as_str()),
        (200, Some(ben_id.as_str())),
        "{c}"
    );
    // rule: TT-XFER-1 — transfer to a colleague chosen by nickname.
    let (status, c) = d
        .call(
            Method::POST,
            &path(&one.conversation_id, "transfer"),
            Some(&ana),
            Some(json!({"nickname": "ben"})),
        )
        .await;
    assert_eq!(
        (status, c["assignee_id"].as_str()),
        (200, Some(ben_id.as_str())),
        "{c}"
    );
    for (body, field) in [
        (json!({"nickname": "nobody"}), "nickname"),
        (json!({}), "agent_id"),
        (json!({"nickname": "ben", "agent_id": ben_id}), "agent_id"),
    ] {
        let (status, err) = d
            .call(
                Method::POST,
                &path(&two.conversation_id, "transfer"),
                Some(&ana),
                Some(body),
            )
            .await;
        assert_eq!(
            (status, err["error"]["field"].as_str()),
            (422, Some(field)),
            "{err}"
        );
    }
}
