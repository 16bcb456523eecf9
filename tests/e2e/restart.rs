//! Stopping and starting the daemon keeps conversations, messages, read and flag state.

use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn state_survives_a_restart() {
    let d = start().await;
    let (token, shop, secret) = d.api_seller("Durable", "durable").await;
    let (_, a) = d.inbound(&shop, &secret, &message("anna", "a1", "first")).await;
    d.inbound(&shop, &secret, &message("anna", "a2", "second")).await;
    let (_, b) = d.inbound(&shop, &secret, &message("bob", "b1", "other")).await;
    let a = string(&a["conversation_id"]);
    let b = string(&b["conversation_id"]);
    d.act(&token, &a, "read").await;
    let flag = format!("/api/v1/conversations/{b}/flag");
    d.put_json(&flag, &token, json!({"colour": "green"})).await;
    let url = d.db_url.clone();
    let dir = d.dir.clone();
    let tmp = d.stop().await;

    let d = start_at(&url, dir).await;
    let (status, page) = d.get("/api/v1/conversations", &token).await;
    assert_eq!(status, 200, "the token still works: {page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    let find = |id: &str| items.iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!(find(&a)["unread_count"], 0);
    assert_eq!(find(&b)["flag"], "green");
    assert_eq!(page["counts"]["flags"]["green"], 1);
    assert_eq!(page["counts"]["unread"], 1);
    assert_eq!(d.n_messages(&token, &a).await, Some(2));
    // A redelivery after the restart is still recognised.
    let (_, again) = d.inbound(&shop, &secret, &message("anna", "a2", "second")).await;
    assert_eq!(again["duplicate"], true);
    d.stop().await;
    drop(tmp);
}
