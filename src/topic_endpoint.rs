//! The topic classifier served by a model endpoint (`[languages] topic_classifier =
//! "http"`, SH-TOPIC-1): each customer text is POSTed as `{"text": ..., "topics":
//! [the ten names]}` through the outbound client (the adapters' address rules), and the
//! answer `{"topic": "shipping", "confidence": 0.93}` (`topic` null or absent: none) is
//! read up to `outbound.max_response_bytes`. The inbox asks it after the message is
//! stored, so ingest never waits; a late, failed or unreadable answer is no label, and
//! a label is applied only at 90 % confidence (SH-TOPIC-2).

use crate::outbound::OutboundPolicy;
use serde::Deserialize;
use shopmux_core::domain::topics::{Topic, TopicClassifier, TopicGuess};
use std::time::Duration;

/// A model endpoint classifying topics.
pub struct HttpTopics {
    client: reqwest::Client,
    policy: OutboundPolicy,
    url: reqwest::Url,
    timeout: Duration,
}

/// The endpoint's answer.
#[derive(Debug, Deserialize)]
struct Answer {
    topic: Option<String>,
    confidence: Option<f32>,
}

/// The guess in an answer's body; an unknown topic or a confidence outside 0..=1 is none.
pub fn read_answer(body: &[u8]) -> Result<Option<TopicGuess>, String> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| format!("bad answer: {e}"))?;
    let Some(topic) = answer.topic else { return Ok(None) };
    let topic: Topic = topic.parse()?;
    let confidence = answer.confidence.ok_or("an answer with a topic needs a confidence")?;
    if !(0.0..=1.0).contains(&confidence) {
        return Err(format!("confidence {confidence} is outside 0..=1"));
    }
    Ok(Some(TopicGuess { topic, confidence }))
}

/// The request body for a text.
pub fn request_body(text: &str) -> serde_json::Value {
    let topics: Vec<&str> = Topic::ALL.iter().map(|t| t.as_str()).collect();
    serde_json::json!({ "text": text, "topics": topics })
}

impl HttpTopics {
    /// A classifier at `url`, answering within `timeout`, under `policy`.
    pub fn new(url: reqwest::Url, timeout: Duration, policy: OutboundPolicy) -> Self {
        Self { client: crate::outbound::client(policy), policy, url, timeout }
    }

    async fn ask(&self, text: &str) -> Result<Option<TopicGuess>, String> {
        crate::outbound::check_url(&self.policy, &self.url)
            .map_err(|r| r.to_adapter_error().to_string())?;
        let response = self
            .client
            .post(self.url.clone())
            .timeout(self.timeout)
            .json(&request_body(text))
            .send()
            .await
            .map_err(|e| crate::outbound::send_error(e).to_string())?;
        let status = response.status();
        let body = crate::outbound::read_capped(response, self.policy.max_response_bytes)
            .await
            .map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("status {status}"));
        }
        read_answer(&body)
    }
}

#[async_trait::async_trait]
impl TopicClassifier for HttpTopics {
    fn is_inline(&self) -> bool {
        false
    }

    async fn classify(&self, text: &str) -> Option<TopicGuess> {
        match self.ask(text).await {
            Ok(guess) => guess,
            Err(error) => {
                tracing::warn!(message = "Topic endpoint failed; no label.", %error);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;

    #[test]
    fn answers_are_read_strictly() {
        let guess = read_answer(br#"{"topic": "shipping", "confidence": 0.93}"#).unwrap();
        assert_eq!(guess, Some(TopicGuess { topic: Topic::Shipping, confidence: 0.93 }));
        assert_eq!(read_answer(br#"{"topic": null}"#).unwrap(), None);
        assert!(read_answer(br#"{"topic": "weather", "confidence": 0.9}"#).is_err());
        assert!(read_answer(br#"{"topic": "returns", "confidence": 9}"#).is_err());
        assert!(read_answer(b"<html>").is_err());
        let body = request_body("do you ship to Canada?");
        assert_eq!(body["text"], "do you ship to Canada?");
        assert_eq!(body["topics"].as_array().unwrap().len(), 10);
    }

    async fn serve(app: axum::Router) -> reqwest::Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/classify").parse().unwrap()
    }

    fn local() -> OutboundPolicy {
        OutboundPolicy { allow_private_networks: true, max_response_bytes: 4096 }
    }

    #[tokio::test]
    async fn sh_topic_1_the_endpoint_is_asked_and_its_failures_are_no_label() {
        // rule: SH-TOPIC-1 (a pluggable classifier; failure leaves no label)
        let app = axum::Router::new().route(
            "/classify",
            post(|axum::Json(body): axum::Json<serde_json::Value>| async move {
                assert_eq!(body["topics"][0], "checkout");
                let topic = if body["text"] == "slow" {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "shipping"
                } else {
                    "wholesale"
                };
                axum::Json(serde_json::json!({ "topic": topic, "confidence": 0.95 }))
            }),
        );
        let url = serve(app).await;
        let topics = HttpTopics::new(url.clone(), Duration::from_millis(300), local());
        assert!(!topics.is_inline(), "asked after the message is stored");
        let guess = topics.classify("1000 pcs?").await.unwrap();
        assert_eq!(guess.label(), Some(Topic::Wholesale));
        assert_eq!(topics.classify("slow").await, None, "a late answer is no label");
        let refused = HttpTopics::new(
            url,
            Duration::from_millis(300),
            OutboundPolicy { allow_private_networks: false, max_response_bytes: 4096 },
        );
        assert_eq!(refused.classify("1000 pcs?").await, None, "address rules hold");
    }
}
