//! How a platform handles translation between buyer and seller, as rule data of its
//! [`RuleSet`](crate::rules::RuleSet): either shopmux translates (the agent's draft
//! before sending, every buyer message into the agent's language — TT-TR-1), or the
//! platform itself shows the buyer what the seller sends in the buyer's language
//! (AE-TR-1), so shopmux must not translate the reply a second time.

use crate::rules::RuleId;
use serde::{Deserialize, Serialize};

/// Who translates a conversation's messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum TranslationRules {
    /// shopmux translates: buyer messages into the agent's language, and the agent's
    /// draft into the buyer's when the conversation's auto-translation is on.
    Shopmux {
        /// The platform rule asking for it (TT-TR-1), if any.
        #[serde(default)]
        rule: Option<RuleId>,
    },
    /// The platform translates what the seller sends into the buyer's language (English
    /// where that language is unsupported): replies leave as the agent wrote them.
    PlatformTranslates {
        /// The rule saying so (AE-TR-1).
        rule: RuleId,
        /// The rule letting the seller choose source and target (AE-TR-2), if any.
        #[serde(default)]
        choice_rule: Option<RuleId>,
        /// The language the platform falls back to (`en`).
        fallback_language: String,
    },
}

impl Default for TranslationRules {
    /// shopmux translates, no platform rule named.
    fn default() -> Self {
        Self::Shopmux { rule: None }
    }
}

impl TranslationRules {
    /// The rule ID by which the platform translates replies itself, if it does.
    pub fn platform_translates(&self) -> Option<&str> {
        match self {
            Self::PlatformTranslates { rule, .. } => Some(rule),
            Self::Shopmux { .. } => None,
        }
    }

    /// Every rule ID named.
    pub fn rule_ids(&self) -> Vec<&str> {
        match self {
            Self::Shopmux { rule } => rule.iter().map(String::as_str).collect(),
            Self::PlatformTranslates { rule, choice_rule, .. } => {
                std::iter::once(rule.as_str()).chain(choice_rule.as_deref()).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_rules_are_plain_json_with_a_default() {
        let json = r#"{"mode":"platform_translates","rule":"AE-TR-1","choice_rule":"AE-TR-2","fallback_language":"en"}"#;
        let rules: TranslationRules = serde_json::from_str(json).unwrap();
        assert_eq!(rules.platform_translates(), Some("AE-TR-1"));
        assert_eq!(rules.rule_ids(), ["AE-TR-1", "AE-TR-2"]);
        assert_eq!(TranslationRules::default().platform_translates(), None);
        let tt: TranslationRules =
            serde_json::from_str(r#"{"mode":"shopmux","rule":"TT-TR-1"}"#).unwrap();
        assert_eq!(tt.rule_ids(), ["TT-TR-1"]);
    }
}
