//! The pre-send compliance check: a draft reply checked against the shop's off-platform
//! contact policy (its platform's [`Compliance`] with the shop's [`ShopCompliance`]
//! applied). Each finding names its policy ID and kind and the span of the draft that
//! breaks it, in characters (Unicode scalar values), so a user interface can highlight
//! it. Pure: the services decide what a finding does to a reply.

mod address;
pub mod overrides;
mod phone;
pub mod text;
pub mod words;

#[cfg(test)]
mod tests;

use super::ids::{AgentId, MessageId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::compliance::{Compliance, PolicyKind};
use shopmux_contract::content::MessageContent;

pub use overrides::{ShopCompliance, shop_compliance};
use words::Pattern;

/// Where a draft breaks a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// The policy ID (`OFF-PHONE-1`).
    pub policy: String,
    /// What the policy looks for.
    pub kind: PolicyKind,
    /// The first character of the draft that breaks it (in Unicode characters, from 0).
    pub start: usize,
    /// One past the last.
    pub end: usize,
    /// The draft's text there.
    pub text: String,
}

/// A message sent although it broke policies the agent acknowledged ("send anyway").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyOverride {
    /// The message.
    pub message_id: MessageId,
    /// The policy IDs it broke and the agent acknowledged.
    pub policies: Vec<String>,
    /// The agent who sent it.
    pub agent_id: AgentId,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One policy in force in a shop.
#[derive(Clone, Debug)]
struct Policy {
    id: String,
    kind: PolicyKind,
    words: Vec<Pattern>,
}

/// A shop's policy, ready to check drafts.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    policies: Vec<Policy>,
    allowed_domains: Vec<String>,
}

impl Checker {
    /// The platform's policy with the shop's overrides: disabled policies left out,
    /// domains and words added; extra words under an ID the platform lacks form a word
    /// policy of the shop.
    pub fn new(platform: &Compliance, shop: &ShopCompliance) -> Checker {
        let compile = |words: &[String]| words.iter().filter_map(|w| Pattern::new(w)).collect();
        let mut policies: Vec<Policy> = platform
            .policies
            .iter()
            .filter(|p| !shop.disabled.contains(&p.id))
            .map(|p| Policy { id: p.id.clone(), kind: p.kind, words: compile(&p.words) })
            .collect();
        for (id, words) in &shop.extra_words {
            if shop.disabled.contains(id) {
                continue;
            }
            match policies.iter_mut().find(|p| &p.id == id) {
                Some(p) => p.words.extend(compile(words)),
                None => policies.push(Policy {
                    id: id.clone(),
                    kind: PolicyKind::Words,
                    words: compile(words),
                }),
            }
        }
        let allowed_domains = platform
            .allowed_domains
            .iter()
            .chain(&shop.allowed_domains)
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        Checker { policies, allowed_domains }
    }

    /// Whether any policy is in force.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The findings of a draft, in order of where they start.
    pub fn check(&self, draft: &str) -> Vec<Finding> {
        if self.policies.is_empty() || draft.trim().is_empty() {
            return Vec::new();
        }
        let text = text::normalise(draft);
        let draft_chars: Vec<char> = draft.chars().collect();
        let needs_addresses = self.policies.iter().any(|p| {
            matches!(p.kind, PolicyKind::Email | PolicyKind::Link | PolicyKind::Messenger)
        });
        let addresses = needs_addresses.then(|| address::find(&text, &self.allowed_domains));
        let mut out = Vec::new();
        for policy in &self.policies {
            let mut spans: Vec<(usize, usize)> = policy
                .words
                .iter()
                .flat_map(|w| w.find_all(&text))
                .map(|(a, b)| text::span_of(&text[a..b]))
                .collect();
            // rule: OFF-PHONE-1, OFF-EMAIL-1, OFF-LINK-1, OFF-MSG-1 (the structural
            // detectors of each kind; words are the policy's own)
            match (policy.kind, &addresses) {
                (PolicyKind::Phone, _) => spans.extend(phone::find(&text)),
                (PolicyKind::Email, Some(a)) => spans.extend(&a.emails),
                (PolicyKind::Link, Some(a)) => spans.extend(&a.links),
                (PolicyKind::Messenger, Some(a)) => spans.extend(&a.handles),
                _ => {}
            }
            for (start, end) in merged(spans) {
                out.push(Finding {
                    policy: policy.id.clone(),
                    kind: policy.kind,
                    start,
                    end,
                    text: draft_chars[start..end].iter().collect(),
                });
            }
        }
        out.sort_by(|a, b| (a.start, a.end, &a.policy).cmp(&(b.start, b.end, &b.policy)));
        out
    }
}

/// Spans sorted, overlapping ones merged.
fn merged(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a < last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The words of an outbound message a buyer reads: a text, a product list's text, a
/// coupon's title. Cards, media and emoji carry none.
pub fn draft_text(content: &MessageContent) -> Option<&str> {
    match content {
        MessageContent::Text { text } => Some(text),
        MessageContent::ProductList { text, .. } => text.as_deref(),
        MessageContent::CouponCard { title, .. } => title.as_deref(),
        _ => None,
    }
}

/// The policy IDs of `findings` the agent has not acknowledged, without repeats.
pub fn unacknowledged<'f>(findings: &'f [Finding], acknowledged: &[String]) -> Vec<&'f str> {
    let mut out: Vec<&str> = Vec::new();
    for f in findings {
        if !acknowledged.contains(&f.policy) && !out.contains(&f.policy.as_str()) {
            out.push(&f.policy);
        }
    }
    out
}

/// The policy IDs of `findings`, without repeats, in order.
pub fn policy_ids(findings: &[Finding]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in findings {
        if !out.contains(&f.policy) {
            out.push(f.policy.clone());
        }
    }
    out
}
