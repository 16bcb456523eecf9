//! The storefront chat's bot frames (DY-BOT-2, DY-BOT-4): the widget's solved/unsolved
//! buttons under a bot answer, `{"type": "bot_feedback", "message_id": "…", "solved":
//! true}` → `{"type": "bot_feedback_ack", "message_id"}`, and its "talk to a person"
//! button, `{"type": "human"}` → `{"type": "human_ack", "handed_off": true|false}`.
//! A message that is not one of this customer's bot answers is `not_found`.

use super::AppState;
use serde::Deserialize;
use serde_json::json;
use shopmux_core::CoreError;
use shopmux_core::domain::ids::{MessageId, ShopId};

/// A bot frame of the widget.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum BotFrame {
    /// The buyer's mark on a bot answer.
    BotFeedback { message_id: MessageId, solved: bool },
    /// The buyer asks for a human.
    Human {},
}

fn error(code: &str, message: impl Into<String>) -> String {
    let message = message.into();
    json!({"type": "error", "id": null, "error": {"code": code, "message": message, "rule": null}})
        .to_string()
}

/// The answer to a bot frame, or none when the frame is not one.
pub async fn bot_frame(app: &AppState, shop: ShopId, buyer: &str, text: &str) -> Option<String> {
    let kind = serde_json::from_str::<serde_json::Value>(text).ok()?;
    let kind = kind.get("type")?.as_str()?;
    if kind != "bot_feedback" && kind != "human" {
        return None;
    }
    let frame: BotFrame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => return Some(error("bad_frame", e.to_string())),
    };
    Some(match frame {
        BotFrame::BotFeedback { message_id, solved } => {
            // rule: DY-BOT-2 (the buyer marks a bot answer solved or unsolved)
            match app.inbox.mark_bot_answer(shop, buyer, message_id, solved).await {
                Ok(()) => json!({"type": "bot_feedback_ack", "message_id": message_id}).to_string(),
                Err(CoreError::NotFound(_)) => error("not_found", "no such bot answer"),
                Err(e) => error("unavailable", e.to_string()),
            }
        }
        BotFrame::Human {} => {
            // rule: DY-BOT-4 (the widget's button hands over at once)
            match app.inbox.ask_for_human(shop, buyer).await {
                Ok(handed) => json!({"type": "human_ack", "handed_off": handed}).to_string(),
                Err(e) => error("unavailable", e.to_string()),
            }
        }
    })
}
