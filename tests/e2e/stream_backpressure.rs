//! A stalled stream client (it never reads: its connection's buffers fill up) is dropped
//! within a ping interval, while a healthy client on the same daemon keeps receiving
//! every event and the writer keeps acknowledging messages.

use crate::support::*;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Whether the agent `id` counts as connected (it has an open stream).
async fn connected(d: &TestDaemon, owner: &str, id: &str) -> bool {
    let (_, team) = d.get("/api/v1/team/presence", owner).await;
    team.as_array().unwrap().iter().any(|p| p["agent_id"] == id && p["connected"] == true)
}

/// A stream client with a tiny receive buffer that never reads.
async fn stalled_stream(d: &TestDaemon, token: &str) -> Stream {
    let addr: std::net::SocketAddr = d.base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(addr).await.unwrap();
    let url = format!("ws://{addr}/api/v1/stream?access_token={token}");
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    tokio_tungstenite::client_async(url, stream).await.expect("stream connects").0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_stream_is_dropped_without_holding_up_the_others() {
    let d = start_tuned(|c| c.server.stream_ping = Duration::from_secs(2)).await;
    let (owner, shop, _) = d.api_seller("Backpressure", "bp").await;
    let (stalled_id, stalled_token) = d.sub_account(&owner, "stalled", &shop).await;
    let ingest = d.inbox.ingest_shop(shop.parse().unwrap()).await.unwrap().unwrap();
    // The healthy client reads all along; it reports each message it gets.
    let mut healthy = d.stream(&owner).await;
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        use futures_util::StreamExt;
        while let Some(Ok(frame)) = healthy.next().await {
            let e: Value =
                serde_json::from_str(&frame.into_text().unwrap_or_default()).unwrap_or_default();
            if e["type"] == "message_created" {
                let id = e["message"]["platform_message_id"].as_str().unwrap_or_default();
                if seen_tx.send(id.to_owned()).is_err() {
                    return;
                }
            }
        }
    });
    let _stalled = stalled_stream(&d, &stalled_token).await;
    assert!(poll(250, || connected(&d, &owner, &stalled_id)).await, "the stalled agent connected");

    // Far more events than its buffers hold (a message and a conversation each).
    let text = "a long enough message to fill the stalled client's buffers quickly ".repeat(20);
    let mut tasks = Vec::new();
    for n in 0..3000 {
        let (inbox, shop, body) =
            (d.inbox.clone(), ingest.clone(), message(&format!("b{n}"), &format!("m{n}"), &text));
        tasks.push(tokio::spawn(async move {
            inbox.ingest(shop, serde_json::from_value(body).unwrap()).await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("acknowledged while a client is stalled");
    }
    // The healthy client gets every one of them, and a probe sent now, at once.
    d.ingest(&ingest, message("probe", "probe", "are you there?")).await;
    let mut got = std::collections::HashSet::new();
    let all = tokio::time::timeout(Duration::from_secs(20), async {
        while got.len() < 3001 {
            got.insert(seen.recv().await.expect("the healthy stream stays open"));
        }
    })
    .await;
    assert!(all.is_ok(), "the healthy client got {} of 3001 messages", got.len());

    // The stalled client is dropped within a few ping intervals.
    let started = Instant::now();
    assert!(
        poll(400, || async { !connected(&d, &owner, &stalled_id).await }).await,
        "the stalled client is dropped"
    );
    assert!(started.elapsed() < Duration::from_secs(8), "dropped after {:?}", started.elapsed());
}
