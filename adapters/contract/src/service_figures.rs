//! The service figures a platform reports about a shop's chat (TT-DATA-1..3,
//! DY-QA-1..3), as rule data: which figures, under which rule ID, with which duration.
//! The core computes them; nothing here names a formula's SQL.

use crate::rules::RuleId;
use crate::span::Span;
use serde::{Deserialize, Serialize};

/// What a service figure measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    /// Buyer-started conversations first answered by a human within `within`, over the
    /// conversations buyers started (`over` back from the period's end).
    ResponseRate,
    /// Latest ratings that are satisfied (4 or 5 of 5) over the ratings given.
    Satisfaction,
    /// Buyer-started conversations assigned to the agent.
    Received,
    /// Conversations first answered by a human in the period.
    BuyersServed,
    /// Conversations buyers started in the period.
    Consultations,
    /// Average time from the buyer's first unanswered message (not before the first
    /// human assignment) to a human reply.
    AverageResponseTime,
    /// Average over conversations of (first human reply − first human assignment).
    FirstResponseTime,
    /// Human replies sent within `within` of the buyer's wait starting, over all replies.
    RepliesWithin,
    /// Buyer waits left without a human reply for `within`: answered only that late, or
    /// still unanswered once `within` has passed; counted in the period the wait began.
    UnrepliedFor,
    /// Latest ratings given in the period.
    Ratings,
    /// Rated conversations over conversations served.
    RatingRate,
}

impl FigureKind {
    /// The serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResponseRate => "response_rate",
            Self::Satisfaction => "satisfaction",
            Self::Received => "received",
            Self::BuyersServed => "buyers_served",
            Self::Consultations => "consultations",
            Self::AverageResponseTime => "average_response_time",
            Self::FirstResponseTime => "first_response_time",
            Self::RepliesWithin => "replies_within",
            Self::UnrepliedFor => "unreplied_for",
            Self::Ratings => "ratings",
            Self::RatingRate => "rating_rate",
        }
    }
}

/// One figure a platform reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceFigure {
    /// The rule defining it.
    pub rule: RuleId,
    /// What it measures.
    pub kind: FigureKind,
    /// Its duration: the reply window of a response rate (overridable per shop by rule
    /// ID, in whole hours), the limit of replies within, the wait of unreplied ones.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub within: Option<Span>,
    /// Its own lookback ending with the period asked for (TT-DATA-1: 7 days); none:
    /// the period asked for.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub over: Option<Span>,
    /// The longest period it may be asked for (DY-QA-3: 30 days); none: any.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub longest: Option<Span>,
}

impl ServiceFigure {
    /// A figure of `kind` under `rule`, with no duration.
    pub fn new(rule: &str, kind: FigureKind) -> Self {
        Self { rule: rule.into(), kind, within: None, over: None, longest: None }
    }

    /// This figure with a duration.
    pub fn within(mut self, span: Span) -> Self {
        self.within = Some(span);
        self
    }

    /// This figure with the longest period it may be asked for.
    pub fn longest(mut self, span: Span) -> Self {
        self.longest = Some(span);
        self
    }

    /// This figure with its own lookback.
    pub fn over(mut self, span: Span) -> Self {
        self.over = Some(span);
        self
    }
}

/// The figures a platform reports; none: the core reports its generic ones only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceData {
    /// The figures, in the order a platform shows them.
    #[serde(default)]
    pub figures: Vec<ServiceFigure>,
}

impl ServiceData {
    /// Every duration a figure of `kind` declares (the thresholds the core keeps
    /// counts for as events happen).
    pub fn durations(&self, kind: FigureKind) -> Vec<Span> {
        let mut out: Vec<Span> =
            self.figures.iter().filter(|f| f.kind == kind).filter_map(|f| f.within).collect();
        out.sort_by_key(|s| s.as_secs());
        out.dedup();
        out
    }

    /// Sets the reply window of the response-rate figures of `rule` (the one figure
    /// duration a shop may override: replies are kept by the hour); whether any matched.
    pub fn override_window(&mut self, rule: &str, span: Span) -> bool {
        let mut found = false;
        for f in &mut self.figures {
            if f.rule == rule && f.kind == FigureKind::ResponseRate {
                f.within = Some(span);
                found = true;
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_response_windows_are_overridden() {
        let mut data = ServiceData {
            figures: vec![
                ServiceFigure::new("X-DATA-1", FigureKind::ResponseRate).within(Span::hours(24)),
                ServiceFigure::new("X-QA-1", FigureKind::RepliesWithin).within(Span::seconds(30)),
            ],
        };
        assert!(data.override_window("X-DATA-1", Span::hours(12)));
        assert!(!data.override_window("X-QA-1", Span::hours(12)));
        assert_eq!(data.durations(FigureKind::ResponseRate), vec![Span::hours(12)]);
        assert_eq!(data.durations(FigureKind::RepliesWithin), vec![Span::seconds(30)]);
    }
}
