//! A shop's own changes to its platform's contact policy (`settings.compliance`, set by
//! the main account): policies switched off, more allowed domains, more words — for a
//! policy of the platform, or as a word policy of the shop's own under a new ID.
//!
//! ```json
//! {"compliance": {"disabled": ["OFF-LINK-1"], "allowed_domains": ["myshop.example"],
//!                 "extra_words": {"OFF-MSG-1": ["kakao"], "SHOP-WORDS-1": ["competitor"]}}}
//! ```

use crate::error::{CoreError, CoreResult};
use serde::{Deserialize, Serialize};
use shopmux_contract::compliance::{Compliance, is_domain};
use std::collections::BTreeMap;

/// At most this many entries in each list of the overrides.
const MAX_ENTRIES: usize = 200;

/// A shop's compliance overrides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShopCompliance {
    /// Policy IDs of the platform not checked in this shop.
    #[serde(default)]
    pub disabled: Vec<String>,
    /// Domains links may go to besides the platform's own (the shop's own site).
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// More words per policy ID; an ID the platform lacks is a word policy of the shop.
    #[serde(default)]
    pub extra_words: BTreeMap<String, Vec<String>>,
}

const FIELD: &str = "settings.compliance";

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The overrides of a shop's settings, checked against its platform's policy; the
/// default (nothing changed) when the settings have none.
pub fn shop_compliance(
    settings: &serde_json::Value, platform: &Compliance,
) -> CoreResult<ShopCompliance> {
    let Some(value) = settings.get("compliance") else {
        return Ok(ShopCompliance::default());
    };
    let mut parsed: ShopCompliance = serde_json::from_value(value.clone())
        .map_err(|e| CoreError::invalid(FIELD, e.to_string()))?;
    for id in &parsed.disabled {
        if !platform.policies.iter().any(|p| &p.id == id) {
            return Err(CoreError::invalid(
                format!("{FIELD}.disabled"),
                format!("{id} is not a policy of this shop's platform"),
            ));
        }
    }
    let too_many = parsed.disabled.len() > MAX_ENTRIES
        || parsed.allowed_domains.len() > MAX_ENTRIES
        || parsed.extra_words.len() > MAX_ENTRIES
        || parsed.extra_words.values().any(|w| w.len() > MAX_ENTRIES);
    if too_many {
        return Err(CoreError::invalid(FIELD, format!("at most {MAX_ENTRIES} entries in a list")));
    }
    for domain in &mut parsed.allowed_domains {
        *domain = domain.trim().to_ascii_lowercase();
        if !is_domain(domain) {
            return Err(CoreError::invalid(
                format!("{FIELD}.allowed_domains"),
                format!("{domain:?} is not a domain name (like shop.example.com)"),
            ));
        }
    }
    for (id, words) in &parsed.extra_words {
        if !valid_id(id) {
            return Err(CoreError::invalid(
                format!("{FIELD}.extra_words"),
                format!("`{id}` is not 1 to 64 characters of letters, digits, `-`, `_`, `.`"),
            ));
        }
        if let Some(w) = words.iter().find(|w| w.trim().is_empty() || w.chars().count() > 100) {
            return Err(CoreError::invalid(
                format!("{FIELD}.extra_words.{id}"),
                format!("the word {w:?} is not 1 to 100 characters"),
            ));
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overrides_name_known_policies_real_domains_and_real_words() {
        let platform = Compliance::standard(&["example.com"]);
        let ok = json!({"compliance": {"disabled": ["OFF-LINK-1"], "allowed_domains": [" MyShop.Example "],
            "extra_words": {"OFF-MSG-1": ["kakao"], "SHOP-1": ["rival"]}}});
        let parsed = shop_compliance(&ok, &platform).unwrap();
        assert_eq!(parsed.allowed_domains, ["myshop.example"]);
        for (bad, field) in [
            (json!({"compliance": {"disabled": ["OFF-NOPE-1"]}}), "settings.compliance.disabled"),
            (
                json!({"compliance": {"allowed_domains": ["not a domain"]}}),
                "settings.compliance.allowed_domains",
            ),
            (
                json!({"compliance": {"extra_words": {"bad id": ["x"]}}}),
                "settings.compliance.extra_words",
            ),
            (
                json!({"compliance": {"extra_words": {"X-1": [" "]}}}),
                "settings.compliance.extra_words.X-1",
            ),
            (json!({"compliance": {"colour": "red"}}), "settings.compliance"),
        ] {
            match shop_compliance(&bad, &platform) {
                Err(CoreError::Invalid { field: f, .. }) => assert_eq!(f, field, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(shop_compliance(&json!({}), &platform).unwrap(), ShopCompliance::default());
    }
}
