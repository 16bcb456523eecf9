//! Ratings of the service (DY-RATE-1): what a buyer's rating message says, where it came
//! from, the rating as it is kept, how the rating list is asked for, and the thank-you
//! the buyer gets naming the agent rated.
//!
//! A buyer may rate at any time, with or without an invitation; an invitation is a rating
//! card without a score (never a preselected one). A rating is kept per rating message; a
//! buyer who rates again adds a rating, and the latest one of a conversation is the one
//! that counts (`latest`), the earlier ones stay.

use super::bot_texts::BotTexts;
use super::ids::*;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::content::MessageContent;
use std::fmt;
use std::str::FromStr;

/// Where a rating came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RatingSource {
    /// The rating card of shopmux's storefront chat widget.
    Storefront,
    /// Reported by a marketplace's API.
    Platform,
    /// Sent through shopmux's own `api` channel (signed inbound).
    ApiChannel,
}

impl RatingSource {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Storefront => "storefront",
            Self::Platform => "platform",
            Self::ApiChannel => "api_channel",
        }
    }
}

impl FromStr for RatingSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "storefront" => Ok(Self::Storefront),
            "platform" => Ok(Self::Platform),
            "api_channel" => Ok(Self::ApiChannel),
            other => Err(format!(
                "unknown rating source `{other}` (expected storefront, platform or api_channel)"
            )),
        }
    }
}

impl fmt::Display for RatingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A buyer's rating of the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    /// The buyer's rating message (a rating card with a score): the rating's id.
    pub message_id: MessageId,
    /// The conversation rated.
    pub conversation_id: ConversationId,
    /// Its shop.
    pub shop_id: ShopId,
    /// The buyer who rated.
    pub buyer_id: BuyerId,
    /// The agent rated: the conversation's assignee when the buyer rated, else the agent
    /// who last replied; none when no agent took part.
    pub agent_id: Option<AgentId>,
    /// The score, 1 (worst) to 5 (best).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub score: i64,
    /// The buyer's words, when they gave any.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub comment: Option<String>,
    /// Where the rating came from.
    pub source: RatingSource,
    /// Whether it is the conversation's latest rating (the one that counts; a buyer who
    /// rates again keeps the earlier ones, no longer latest).
    pub latest: bool,
    /// When the buyer rated.
    pub created_at: DateTime<Utc>,
}

/// The score and comment of a buyer's rating message; none for any other content (an
/// invitation has no score).
pub fn rated(content: &MessageContent) -> Option<(u8, Option<String>)> {
    match content {
        MessageContent::RatingCard { score: Some(score), comment } => {
            Some((*score, comment.as_ref().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())))
        }
        _ => None,
    }
}

/// The rating invitation an agent sends: a rating card with no preselected score.
pub fn invitation() -> MessageContent {
    // rule: DY-RATE-1 (the rating card has no preselected score)
    MessageContent::RatingCard { score: None, comment: None }
}

/// Checks what an agent sends: a rating card from an agent is an invitation and carries
/// no score (nobody rates for the buyer, and the card shows no score chosen).
pub fn check_agent_content(content: &MessageContent) -> CoreResult<()> {
    match content {
        // rule: DY-RATE-1 (the rating card has no preselected score)
        MessageContent::RatingCard { score: Some(_), .. } => Err(CoreError::invalid(
            "content.score",
            "an agent's rating card is an invitation: it carries no score",
        )),
        _ => Ok(()),
    }
}

/// The thank-you a buyer sees after rating, naming the agent rated (or, with no agent,
/// the shop): the shop's text in the buyer's language, else the built-in one.
pub fn thank_you(texts: &BotTexts, buyer_language: Option<&str>, name: &str) -> MessageContent {
    // rule: DY-RATE-1 (after rating the buyer sees a thank-you naming the agent)
    MessageContent::Text { text: texts.rating_thanks_for(buyer_language, name) }
}

/// Which ratings a list asks for; filters combine with AND.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RatingQuery {
    /// Only this shop.
    pub shop_id: Option<ShopId>,
    /// Only this conversation.
    pub conversation_id: Option<ConversationId>,
    /// Only ratings of this agent.
    pub agent_id: Option<AgentId>,
    /// Only from this source.
    pub source: Option<RatingSource>,
    /// Only this score (1 to 5).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 5))]
    pub score: Option<i64>,
    /// Only ratings given at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only ratings given before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Only each conversation's latest rating (the one that counts).
    pub latest: Option<bool>,
    /// Page size, 1..200 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = r"^-?[0-9]{1,18}\.([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
        )
    )]
    pub cursor: Option<String>,
}

/// Checks a rating query's values that its types do not: the score and the time range.
pub fn check_query(q: &RatingQuery) -> CoreResult<()> {
    if q.score.is_some_and(|s| !(1..=5).contains(&s)) {
        return Err(CoreError::invalid("score", "must be 1 to 5"));
    }
    check_range(q.from, q.to)
}

/// A time range is empty-free: `from` must come before `to` when both are given.
pub fn check_range(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> CoreResult<()> {
    match (from, to) {
        (Some(f), Some(t)) if f >= t => Err(CoreError::invalid("to", "must be after `from`")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_scored_card_is_a_rating_and_an_invitation_has_no_score() {
        // rule: DY-RATE-1
        assert_eq!(rated(&invitation()), None);
        assert_eq!(invitation(), MessageContent::RatingCard { score: None, comment: None });
        let card = MessageContent::RatingCard { score: Some(4), comment: Some("  ok ".into()) };
        assert_eq!(rated(&card), Some((4, Some("ok".into()))));
        let blank = MessageContent::RatingCard { score: Some(1), comment: Some(" ".into()) };
        assert_eq!(rated(&blank), Some((1, None)));
        assert_eq!(rated(&MessageContent::Text { text: "5".into() }), None);
    }

    #[test]
    fn an_agent_never_sends_a_scored_card() {
        // rule: DY-RATE-1 (no preselected score)
        assert!(check_agent_content(&invitation()).is_ok());
        let scored = MessageContent::RatingCard { score: Some(5), comment: None };
        assert!(check_agent_content(&scored).is_err());
    }

    #[test]
    fn the_thank_you_names_who_was_rated() {
        // rule: DY-RATE-1
        let none = BotTexts::default();
        assert_eq!(
            thank_you(&none, None, "Mia"),
            MessageContent::Text { text: "Thank you for your rating! — Mia".into() }
        );
        let mut own = BotTexts::default();
        own.rating_thanks.insert("pl".into(), "Dzięki! {agent_nickname} z Mug House".into());
        assert_eq!(
            thank_you(&own, Some("pl-PL"), "Mia"),
            MessageContent::Text { text: "Dzięki! Mia z Mug House".into() }
        );
    }

    #[test]
    fn sources_round_trip_and_queries_are_checked() {
        for s in [RatingSource::Storefront, RatingSource::Platform, RatingSource::ApiChannel] {
            assert_eq!(s.as_str().parse::<RatingSource>(), Ok(s));
        }
        assert!("email".parse::<RatingSource>().is_err());
        assert!(check_query(&RatingQuery { score: Some(6), ..Default::default() }).is_err());
        assert!(check_query(&RatingQuery { score: Some(5), ..Default::default() }).is_ok());
        let t = Utc::now();
        assert!(check_range(Some(t), Some(t)).is_err());
        assert!(check_range(Some(t), None).is_ok());
    }
}
