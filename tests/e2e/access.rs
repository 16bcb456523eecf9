//! Access that bites, over real HTTP and WebSocket: a revoked grant, a removed chat
//! permission, a deactivated agent and a revoked token take effect on the agent's open
//! streams at once (no sleeps: each test waits for the event itself, and checks it came
//! within a second); conversations of an agent that lost its permission go back to
//! routing; an oversized stream message closes the stream; and a forged webhook answers
//! exactly like one to a shop that does not exist.

use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// How long access may take to bite.
const WITHIN: Duration = Duration::from_secs(1);

/// An owner with two `api` shops and a sub-account chatting in both, its stream open.
struct Team {
    d: TestDaemon,
    owner: String,
    shops: [(String, String); 2],
    agent_id: String,
    agent: String,
}

async fn team() -> Team {
    let d = start().await;
    let owner = d.owner("Access").await;
    let first = d.shop(&owner, "first").await;
    let second = d.shop(&owner, "second").await;
    let agent = json!({"nickname": "ana", "shops": [
        {"shop_id": first.0, "can_chat": true}, {"shop_id": second.0, "can_chat": true}]});
    let (status, body) = d.post_json("/api/v1/agents", &owner, agent).await;
    assert_eq!(status, 201, "{body}");
    let (agent_id, agent) = (string(&body["agent"]["id"]), string(&body["token"]));
    Team { d, owner, shops: [first, second], agent_id, agent }
}

impl Team {
    async fn grant(&self, grants: Value) {
        let path = format!("/api/v1/agents/{}/shops", self.agent_id);
        let (status, body) = self.d.put_json(&path, &self.owner, json!({"shops": grants})).await;
        assert_eq!(status, 200, "{body}");
    }

    /// A buyer writes to shop `i`; the conversation's id.
    async fn buyer_writes(&self, i: usize, buyer: &str, text: &str) -> String {
        let (shop, secret) = &self.shops[i];
        let (status, body) = self.d.inbound(shop, secret, &message(buyer, text, text)).await;
        assert_eq!(status, 200, "{body}");
        string(&body["conversation_id"])
    }
}

/// The close code the stream ends with, within 5 s (none: it ended without a close frame).
async fn closed_with(ws: &mut Stream) -> Option<u16> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return None,
            }
        }
    })
    .await
    .expect("the stream ends in time")
}

#[tokio::test]
async fn a_revoked_grant_stops_the_shops_events_on_an_open_stream_at_once() {
    let t = team().await;
    let mut ws = t.d.stream(&t.agent).await;
    t.buyer_writes(0, "b0", "before").await;
    assert_eq!(next_created(&mut ws).await["message"]["content"]["text"], "before");
    let at = Instant::now();
    t.grant(json!([{"shop_id": t.shops[1].0, "can_chat": true}])).await;
    next_event(&mut ws, |e| e["type"] == "resync").await;
    assert!(at.elapsed() < WITHIN, "the stream learnt of it after {:?}", at.elapsed());
    // The revoked shop's events no longer reach it; the other shop's still do.
    t.buyer_writes(0, "b0", "after, revoked shop").await;
    t.buyer_writes(1, "b1", "after, granted shop").await;
    let next = next_created(&mut ws).await;
    assert_eq!(next["message"]["content"]["text"], "after, granted shop", "{next}");
    let (status, _) = t.d.conversation(&t.agent, t.buyer_writes(0, "b0", "x").await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn removing_chat_permission_sends_the_agents_conversations_back_to_routing() {
    let t = team().await;
    let conversation = t.buyer_writes(0, "b0", "hello").await;
    let path = format!("/api/v1/conversations/{conversation}/assign");
    let (status, body) = t.d.post_json(&path, &t.owner, json!({"agent_id": t.agent_id})).await;
    assert_eq!((status, &body["state"]), (200, &json!("in_progress")), "{body}");
    let mut ws = t.d.stream(&t.agent).await;
    let at = Instant::now();
    t.grant(json!([{"shop_id": t.shops[0].0, "can_chat": false},
        {"shop_id": t.shops[1].0, "can_chat": true}]))
        .await;
    next_event(&mut ws, |e| e["type"] == "resync").await;
    assert!(at.elapsed() < WITHIN, "after {:?}", at.elapsed());
    let (_, detail) = t.d.conversation(&t.owner, &conversation).await;
    let c = if detail["conversation"].is_object() { &detail["conversation"] } else { &detail };
    assert_eq!((&c["state"], &c["assignee_id"]), (&json!("unassigned"), &Value::Null), "{c}");
    // It still sees the shop (view only) but may not reply there.
    let (status, body) = t.d.reply(&t.agent, &conversation, "mine?").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
}

#[tokio::test]
async fn deactivating_an_agent_closes_its_open_streams_and_refuses_its_token() {
    let t = team().await;
    let conversation = t.buyer_writes(1, "b1", "hello").await;
    let assign = format!("/api/v1/conversations/{conversation}/assign");
    let (status, _) = t.d.post_json(&assign, &t.owner, json!({"agent_id": t.agent_id})).await;
    assert_eq!(status, 200);
    let mut ws = t.d.stream(&t.agent).await;
    let at = Instant::now();
    let path = format!("/api/v1/agents/{}/deactivate", t.agent_id);
    let (status, body) = t.d.post(&path, &t.owner).await;
    assert_eq!((status, &body["active"]), (200, &json!(false)), "{body}");
    assert_eq!(closed_with(&mut ws).await, Some(4401));
    assert!(at.elapsed() < WITHIN, "closed after {:?}", at.elapsed());
    let (status, _) = t.d.get("/api/v1/me", &t.agent).await;
    assert_eq!(status, 401);
    let (_, detail) = t.d.conversation(&t.owner, &conversation).await;
    let c = if detail["conversation"].is_object() { &detail["conversation"] } else { &detail };
    assert_eq!(c["state"], "unassigned", "its conversation went back to routing: {c}");
    // Reactivated, the same token works again.
    let path = format!("/api/v1/agents/{}/reactivate", t.agent_id);
    let (status, body) = t.d.post(&path, &t.owner).await;
    assert_eq!((status, &body["active"]), (200, &json!(true)), "{body}");
    assert_eq!(t.d.get("/api/v1/me", &t.agent).await.0, 200);
}

#[tokio::test]
async fn revoking_a_token_closes_the_streams_opened_with_it() {
    let t = team().await;
    let mut ws = t.d.stream(&t.agent).await;
    let at = Instant::now();
    let path = format!("/api/v1/agents/{}/token", t.agent_id);
    let (status, body) = t.d.call(reqwest::Method::DELETE, &path, Some(&t.owner), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(closed_with(&mut ws).await, Some(4401));
    assert!(at.elapsed() < WITHIN, "closed after {:?}", at.elapsed());
    assert_eq!(t.d.get("/api/v1/me", &t.agent).await.0, 401);
}

#[tokio::test]
async fn an_oversized_stream_message_closes_the_stream() {
    let t = team().await;
    let mut ws = t.d.stream(&t.agent).await;
    // A small message is ignored; the stream stays open.
    ws.send(WsMessage::text("hello")).await.expect("sent");
    t.buyer_writes(0, "b0", "still open").await;
    assert_eq!(next_created(&mut ws).await["message"]["content"]["text"], "still open");
    let big = "x".repeat(shopmux::api::stream::MAX_MESSAGE_BYTES + 1);
    let _ = ws.send(WsMessage::text(big)).await;
    let code = closed_with(&mut ws).await;
    assert!(matches!(code, None | Some(1009)), "closed with {code:?}");
}

#[tokio::test]
async fn a_forged_webhook_answers_like_one_to_an_unknown_shop() {
    use shopmux_simulator::TikTokSim;
    use shopmux_simulator::tiktok::SimConfig;
    let sim = TikTokSim::start(SimConfig::default()).await.expect("simulator");
    let shop_external = "7494049642642441621";
    let d = start().await;
    let (owner, shop_id, _) = d.seller("Forged", "tiktok", shop_external).await;
    let connection = json!({"api_base": sim.base_url(), "credentials": {
        "app_key": "sim_app_key", "app_secret": "sim_app_secret",
        "access_token": sim.access_token(shop_external).unwrap(),
        "shop_cipher": sim.shop_cipher(shop_external).unwrap(),
        "refresh_token": sim.refresh_token(shop_external).unwrap(),
        "auth_base": sim.base_url()}});
    let (status, view) = d.connect(&owner, &shop_id, connection).await;
    assert_eq!(status, 200, "{view}");
    let post = |shop: String| {
        let url = d.url(&format!("/webhooks/tiktok/{shop}"));
        async move {
            let request = client()
                .post(url)
                .header("authorization", "0".repeat(64))
                .body(r#"{"type":1,"shop_id":"7494049642642441621","data":{}}"#);
            decode(request.send().await.expect("request")).await
        }
    };
    let forged = post(shop_id.clone()).await;
    let unknown = post("01a20000-0000-7000-8000-000000000000".into()).await;
    let not_an_id = post("nope".into()).await;
    assert_eq!(forged.0, 401, "{forged:?}");
    assert_eq!(forged, unknown);
    assert_eq!(forged, not_an_id);
    // An unknown shop is counted like a bad signature, too.
    let metrics = client().get(d.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("refused_total{platform=\"tiktok\",reason=\"bad_signature\"} 3"),
        "{metrics}"
    );
}
