//! Events as a plugin answers them (`parse_webhook`, `poll`), read one at a time. A plugin
//! built against a newer contract may send an event this daemon cannot read — a content
//! type it does not know, a field of a new shape: that event becomes
//! [`InboundEvent::Ignored`] naming why (and a warning naming the plugin), and the others
//! of the list are kept, so one unreadable event never loses a whole webhook or poll. An
//! event of a kind this daemon does not know reads as [`InboundEvent::Unknown`], as the
//! contract reads it.

use serde::Deserialize;
use serde_json::Value;
use shopmux_contract::adapter::InboundEvent;

/// A `PollPage` whose events are not read yet.
#[derive(Deserialize)]
pub(crate) struct RawPollPage {
    pub events: Vec<Value>,
    pub cursor: Option<String>,
}

/// Reads each event of `plugin`'s answer to `method`; an unreadable one becomes
/// `Ignored` with the reason.
pub(crate) fn read(plugin: &str, method: &str, events: Vec<Value>) -> Vec<InboundEvent> {
    let read_one = |value: Value| {
        InboundEvent::deserialize(&value).unwrap_or_else(|error| {
            let kind = value.get("event").and_then(Value::as_str).unwrap_or("?");
            tracing::warn!(plugin, method, event = kind, %error, "A plugin's event was unreadable; it is ignored.");
            InboundEvent::Ignored {
                reason: format!(
                    "plugin {plugin} answered `{method}` with a `{kind}` event this daemon cannot read: {error}"
                ),
            }
        })
    };
    events.into_iter().map(read_one).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_contract::adapter::MessageContent;

    #[test]
    fn an_unreadable_event_is_ignored_with_its_reason_and_the_others_are_kept() {
        let answer: Vec<Value> = serde_json::from_str(
            r#"[
                {"event": "message", "buyer": {"external_id": "b1"}, "platform_message_id": "m1",
                 "content": {"type": "text", "text": "hi"}},
                {"event": "message", "buyer": {"external_id": "b1"}, "platform_message_id": "m2",
                 "content": {"type": "hologram", "frames": 3}},
                {"event": "buyer_typing", "since_ms": 1},
                {"event": "ignored", "reason": "a seller message"},
                42
            ]"#,
        )
        .unwrap();
        let events = read("acme", "parse_webhook", answer);
        assert_eq!(events.len(), 5);
        let message = events[0].as_message().expect("a message");
        assert_eq!(message.content, MessageContent::Text { text: "hi".into() });
        let InboundEvent::Ignored { reason } = &events[1] else { panic!("{events:?}") };
        assert!(
            reason.starts_with(
                "plugin acme answered `parse_webhook` with a `message` event this daemon cannot read: "
            ),
            "{reason}"
        );
        assert!(reason.contains("hologram"), "{reason}");
        assert_eq!(events[2], InboundEvent::Unknown);
        assert_eq!(events[3], InboundEvent::Ignored { reason: "a seller message".into() });
        assert!(
            matches!(&events[4], InboundEvent::Ignored { reason } if reason.contains("a `?` event")),
            "{events:?}"
        );
    }
}
