//! The FAQ bot through the storefront chat, end to end (DY-GREET-1, DY-BOT-2, DY-BOT-4):
//! the session carries the greeting and FAQ list, a recognised question comes back over
//! the socket as the bot's answer card, the customer marks it solved (the shop's rates
//! follow), a mark on a message that is not theirs is `not_found`, and the "talk to a
//! person" frame hands the conversation over at once.

use crate::storefront::{next_frame, say, socket, start_session};
use crate::support::*;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsFrame;

async fn frame(ws: &mut crate::support::Stream, value: Value) -> Value {
    ws.send(WsFrame::Text(value.to_string().into())).await.unwrap();
    next_frame(ws).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dy_bot_2_a_storefront_customer_gets_the_bots_answer_marks_it_and_asks_for_a_person() {
    // rule: DY-GREET-1, DY-BOT-2, DY-BOT-4
    let d = start_tuned(|c| c.storefront.direct_sessions = true).await;
    let (owner, shop, _) = d.seller("Linen", "shopify", "bot.myshopify.com").await;
    let q = json!({"category": "returns", "phrasings": ["Can I get a refund?", "¿Puedo pedir un reembolso?"],
        "answer": "Yes, within 30 days.", "answers": {"es": "Sí, en 30 días."}});
    let (status, q) = d.post_json(&format!("/api/v1/shops/{shop}/bot/questions"), &owner, q).await;
    assert_eq!(status, 201, "{q}");
    let settings = json!({"enabled": true, "greeting": "Hi! Ask me.", "faq": [q["id"]]});
    let (status, _) = d.put_json(&format!("/api/v1/shops/{shop}/bot"), &owner, settings).await;
    assert_eq!(status, 200);
    let (status, session) = start_session(&d, &shop, &json!({"name": "Ana"})).await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["greeting"]["faq"][0]["text"], "Can I get a refund?");
    let mut ws = socket(&d, &shop, &session).await;
    assert_eq!(
        say(&mut ws, "1", json!({"type": "text", "text": "puedo pedir reembolso?"})).await["type"],
        "ack"
    );
    let answer = next_frame(&mut ws).await;
    assert_eq!(
        (answer["type"].as_str(), answer["content"]["type"].as_str()),
        (Some("reply"), Some("auto_reply")),
        "{answer}"
    );
    assert_eq!(answer["content"]["text"], "Sí, en 30 días.");
    let id = answer["id"].as_str().unwrap().to_owned();
    let ack =
        frame(&mut ws, json!({"type": "bot_feedback", "message_id": id, "solved": true})).await;
    assert_eq!(ack["type"], "bot_feedback_ack", "{ack}");
    let (_, view) = d.get(&format!("/api/v1/shops/{shop}/bot"), &owner).await;
    assert_eq!(
        (view["stats"]["solved"].as_i64(), view["stats"]["feedback_resolution_rate"].as_f64()),
        (Some(1), Some(1.0)),
        "{view}"
    );
    let unknown = frame(&mut ws, json!({"type": "bot_feedback", "message_id": "01a20000-0000-7000-8000-000000000000", "solved": false})).await;
    assert_eq!(unknown["error"]["code"], "not_found", "{unknown}");
    let human = frame(&mut ws, json!({"type": "human"})).await;
    assert_eq!(human, json!({"type": "human_ack", "handed_off": true}));
    let (_, page) = d.get("/api/v1/conversations?limit=5", &owner).await;
    assert_eq!(page["items"][0]["bot_active"], false, "{page}");
    assert_eq!(page["counts"]["unassigned"], 1, "{page}");
}
