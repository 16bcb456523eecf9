//! Routing over the API: presence, the queue, and the connected flag driven by live
//! streams (TT-AGENT-3): no stream, no automatic assignment; connecting assigns the
//! oldest queued conversation at once and pushes it on the agent's stream.

use crate::support::*;
use serde_json::{Value, json};
use shopmux_core::domain::ids::ConversationId;
use std::fmt::Display;
use std::time::{Duration, Instant};

async fn presence(d: &TestDaemon, token: &str) -> Value {
    let (status, body) = d.get("/api/v1/me/presence", token).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Changes the caller's presence.
async fn set_presence(d: &TestDaemon, token: &str, update: Value) -> (u16, Value) {
    d.put_json("/api/v1/me/presence", token, update).await
}

/// Asserts the state of a conversation, as its detail shows it.
async fn assert_state(d: &TestDaemon, token: &str, conversation: impl Display, expected: &str) {
    let (_, c) = d.conversation(token, conversation).await;
    assert_eq!(c["conversation"]["state"], expected, "{c}");
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
        assert!(Instant::now() < deadline, "presence never reached the state: {p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn tt_agent_3_no_stream_no_assignment_and_connecting_assigns_the_oldest_queued_at_once() {
    let d = start().await;
    let (owner, shop, ingest) = d.seller("Router", "douyin", "dy-route").await;
    let (agent_id, agent) = d.sub_account(&owner, "ana", &shop).await;

    // Online with the switch on, capacity 1, but no stream open.
    let (status, p) = set_presence(&d, &agent, json!({"status": "online", "capacity": 1})).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!((p["connected"].as_bool(), p["available"].as_bool()), (Some(false), Some(false)));

    let first = d.ingest(&ingest, message("b1", "m1", "first")).await;
    let second = d.ingest(&ingest, message("b2", "m2", "second")).await;
    d.inbox.drain_all().await.unwrap();
    for id in [first.conversation_id, second.conversation_id] {
        assert_state(&d, &owner, id, "unassigned").await;
    }
    // ALL-QUEUE-1 and the positions of the waiting buyers.
    let (_, counts) = d.get("/api/v1/counts", &owner).await;
    assert_eq!(counts["shops"][&shop]["queued"], 2, "{counts}");
    let queue_path = format!("/api/v1/shops/{shop}/queue");
    let (_, queue) = d.get(&queue_path, &agent).await;
    assert_eq!(queue["policy"], "idle_rate", "{queue}");
    assert_eq!(queue["entries"][0]["position"], 1);
    assert_eq!(queue["entries"][0]["conversation_id"], first.conversation_id.to_string());

    // Connecting: the oldest is assigned and pushed on the agent's stream within a second.
    let connected_at = Instant::now();
    let mut ws = d.stream(&agent).await;
    let event = next_event(&mut ws, |e| {
        e["type"] == "conversation_updated" && e["conversation"]["assignee_id"] == agent_id.as_str()
    })
    .await;
    let took = connected_at.elapsed();
    assert!(took < Duration::from_secs(1), "assigned after {took:?}");
    assert_eq!(event["conversation"]["id"], first.conversation_id.to_string());
    assert_eq!(event["conversation"]["state"], "in_progress");
    let (_, queue) = d.get(&queue_path, &agent).await;
    assert_eq!(queue["entries"].as_array().map(Vec::len), Some(1), "{queue}");
    assert_eq!(queue["entries"][0]["conversation_id"], second.conversation_id.to_string());

    // The owner's team view shows the agent connected and its load; agents cannot see it.
    let (status, team) = d.get("/api/v1/team/presence", &owner).await;
    assert_eq!(status, 200, "{team}");
    let ana = team.as_array().unwrap().iter().find(|p| p["agent_id"] == agent_id.as_str()).unwrap();
    assert_eq!(
        (ana["connected"].as_bool(), ana["load"].as_i64(), ana["capacity"].as_i64()),
        (Some(true), Some(1), Some(1))
    );
    let (status, body) = d.get("/api/v1/team/presence", &agent).await;
    assert_eq!(status, 403, "{body}");

    // Raising capacity (DY-CAP-1, by the agent itself) takes the next one at once.
    let (status, _) = set_presence(&d, &agent, json!({"capacity": 2})).await;
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
    set_presence(&d, &agent, json!({"capacity": 3})).await;
    let third = d.ingest(&ingest, message("b3", "m3", "third")).await;
    d.inbox.drain_all().await.unwrap();
    assert_state(&d, &owner, third.conversation_id, "unassigned").await;
}

#[tokio::test]
async fn a_stream_that_stops_answering_pings_disconnects_its_agent() {
    let d = start_tuned(|c| c.server.stream_ping = Duration::from_secs(1)).await;
    let (owner, shop, _) = d.seller("Pings", "douyin", "dy-pings").await;
    let (_, agent) = d.sub_account(&owner, "ana", &shop).await;
    // The client never reads, so it never answers the server's pings.
    let ws = d.stream(&agent).await;
    wait_presence(&d, &agent, |p| p["connected"] == true).await;
    wait_presence(&d, &agent, |p| p["connected"] == false).await;
    drop(ws);
}

#[tokio::test]
async fn tt_queue_2_and_tt_xfer_1_agents_take_queued_conversations_and_transfer_by_nickname() {
    let d = start().await;
    let (owner, shop, ingest) = d.seller("Hands", "tiktok", "tt-hands").await;
    let (ana_id, ana) = d.sub_account(&owner, "ana", &shop).await;
    let (ben_id, _ben) = d.sub_account(&owner, "ben", &shop).await;
    // Nobody connected: both conversations wait unassigned (TT-QUEUE-1).
    let one = d.ingest(&ingest, message("b1", "m1", "one")).await;
    let two = d.ingest(&ingest, message("b2", "m2", "two")).await;
    d.inbox.drain_all().await.unwrap();
    let (one, two) = (one.conversation_id, two.conversation_id);
    let hand = |id: &ConversationId, action: &str, to: Value| {
        let path = format!("/api/v1/conversations/{id}/{action}");
        let (d, ana) = (&d, &ana);
        async move { d.post_json(&path, ana, to).await }
    };
    for (id, action, to, holder) in [
        // rule: TT-QUEUE-2 — an agent assigns one to itself and one to a colleague.
        (&one, "assign", json!({"agent_id": ana_id}), &ana_id),
        (&two, "assign", json!({"nickname": "ben"}), &ben_id),
        // rule: TT-XFER-1 — transfer to a colleague chosen by nickname.
        (&one, "transfer", json!({"nickname": "ben"}), &ben_id),
    ] {
        let (status, c) = hand(id, action, to).await;
        assert_eq!(
            (status, c["assignee_id"].as_str()),
            (200, Some(holder.as_str())),
            "{action}: {c}"
        );
    }
    // An unknown nickname is an unknown agent, as an unknown id is.
    let nobody = hand(&two, "transfer", json!({"nickname": "nobody"})).await;
    assert_error(&nobody, 404, "code", "not_found");
    for (body, field) in
        [(json!({}), "agent_id"), (json!({"nickname": "ben", "agent_id": ben_id}), "agent_id")]
    {
        assert_error(&hand(&two, "transfer", body).await, 422, "field", field);
    }
}
