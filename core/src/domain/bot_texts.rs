//! The fixed texts the FAQ bot and the rating card send a buyer, as a shop edits them:
//! "please rephrase" (DY-BOT-3), the hand-off notice (DY-BOT-3, DY-BOT-4) and the
//! thank-you after a rating, naming the agent (DY-RATE-1). Each has versions per
//! language; the buyer's language picks one as quick replies do (an exact tag, else the
//! same primary language), else the built-in text of that language (English, Spanish,
//! Polish, Chinese), else the shop's English version, else the built-in English.

use super::quick_replies::valid_language;
use crate::error::{CoreError, CoreResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest text of one version.
pub const MAX_TEXT_CHARS: usize = 1000;
/// The most language versions of one text.
pub const MAX_VERSIONS: usize = 20;
/// The agent's name in the rating thank-you (the shop's name when no agent was rated).
pub const AGENT_VARIABLE: &str = "{agent_nickname}";

/// A shop's own versions of the bot's and the rating card's texts, by language tag
/// (`en`, `es`, `zh-CN`); a language without its own falls back to the built-in text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BotTexts {
    /// "Please rephrase", after a question the bot did not recognise (DY-BOT-3).
    #[serde(default)]
    pub rephrase: BTreeMap<String, String>,
    /// What the bot says when it hands the buyer to a human (DY-BOT-3, DY-BOT-4).
    #[serde(default)]
    pub hand_off: BTreeMap<String, String>,
    /// The thank-you after a rating (DY-RATE-1); must name the agent with
    /// `{agent_nickname}`.
    #[serde(default)]
    pub rating_thanks: BTreeMap<String, String>,
}

/// One of the texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// "Please rephrase".
    Rephrase,
    /// The hand-off notice.
    HandOff,
    /// The rating thank-you.
    RatingThanks,
}

impl TextKind {
    /// Its field name.
    pub fn field(self) -> &'static str {
        match self {
            Self::Rephrase => "rephrase",
            Self::HandOff => "hand_off",
            Self::RatingThanks => "rating_thanks",
        }
    }
}

/// The built-in text of a kind in a primary language, if there is one.
pub fn built_in(kind: TextKind, primary: &str) -> Option<&'static str> {
    use TextKind::*;
    Some(match (kind, primary) {
        (Rephrase, "en") => "Sorry, I did not understand. Could you rephrase your question?",
        (Rephrase, "es") => "Lo siento, no lo he entendido. ¿Puede reformular su pregunta?",
        (Rephrase, "pl") => "Przepraszam, nie zrozumiałem. Czy możesz zadać pytanie inaczej?",
        (Rephrase, "zh") => "抱歉，我没有理解您的问题，请换一种说法。",
        (HandOff, "en") => {
            "I am passing you to one of our agents; they will answer you here shortly."
        }
        (HandOff, "es") => "Le paso con uno de nuestros agentes; le responderá aquí en breve.",
        (HandOff, "pl") => "Przekazuję rozmowę konsultantowi; wkrótce odpowie tutaj.",
        (HandOff, "zh") => "正在为您转接人工客服，请稍候。",
        // rule: DY-RATE-1 (the thank-you names the agent)
        (RatingThanks, "en") => "Thank you for your rating! — {agent_nickname}",
        (RatingThanks, "es") => "¡Gracias por su valoración! — {agent_nickname}",
        (RatingThanks, "pl") => "Dziękujemy za ocenę! — {agent_nickname}",
        (RatingThanks, "zh") => "感谢您的评价！— {agent_nickname}",
        _ => return None,
    })
}

/// The built-in texts, in every language they exist in (for editors to start from).
pub fn built_ins() -> BotTexts {
    let of = |kind| {
        ["en", "es", "pl", "zh"]
            .iter()
            .filter_map(|l| built_in(kind, l).map(|t| ((*l).to_owned(), t.to_owned())))
            .collect()
    };
    BotTexts {
        rephrase: of(TextKind::Rephrase),
        hand_off: of(TextKind::HandOff),
        rating_thanks: of(TextKind::RatingThanks),
    }
}

/// A language tag's primary language, lowercased (`es` for `es-MX`).
fn primary(tag: &str) -> String {
    tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase()
}

/// The buyer's language as a tag to pick by (`en` when unknown).
fn wanted_language(buyer_language: Option<&str>) -> String {
    let wanted = buyer_language.map(|l| l.trim().replace('_', "-")).filter(|l| !l.is_empty());
    wanted.unwrap_or_else(|| "en".to_owned())
}

/// The version of a text for a buyer's language: the exact tag, else one of the same
/// primary language (`es-MX` for `es`); none when the buyer's language is unknown or
/// has no version.
pub fn pick_version<'a>(
    versions: &'a BTreeMap<String, String>, buyer_language: Option<&str>,
) -> Option<&'a str> {
    let wanted = buyer_language.map(|l| l.trim().replace('_', "-")).filter(|l| !l.is_empty())?;
    let exact = versions.iter().find(|(l, _)| l.eq_ignore_ascii_case(&wanted));
    let same_primary = || versions.iter().find(|(l, _)| primary(l) == primary(&wanted));
    exact.or_else(same_primary).map(|(_, t)| t.as_str())
}

/// Checks and trims a text's versions (`field` names them in errors): language tags,
/// one version per language, 1 to [`MAX_TEXT_CHARS`] characters, at most
/// [`MAX_VERSIONS`] versions.
pub fn checked_versions(
    field: &str, versions: &BTreeMap<String, String>,
) -> CoreResult<BTreeMap<String, String>> {
    if versions.len() > MAX_VERSIONS {
        return Err(CoreError::invalid(field, format!("at most {MAX_VERSIONS} languages")));
    }
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (language, text) in versions {
        let language = language.trim().replace('_', "-");
        if !valid_language(&language) {
            return Err(CoreError::invalid(
                format!("{field}.{language}"),
                "must be keyed by a language tag such as `es` or `zh-CN`",
            ));
        }
        if out.keys().any(|l| l.eq_ignore_ascii_case(&language)) {
            return Err(CoreError::invalid(field, "one version per language"));
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
            return Err(CoreError::invalid(
                format!("{field}.{language}"),
                format!("must be 1 to {MAX_TEXT_CHARS} characters"),
            ));
        }
        out.insert(language, text.to_owned());
    }
    Ok(out)
}

impl BotTexts {
    /// The shop's versions of a kind.
    pub fn versions(&self, kind: TextKind) -> &BTreeMap<String, String> {
        match kind {
            TextKind::Rephrase => &self.rephrase,
            TextKind::HandOff => &self.hand_off,
            TextKind::RatingThanks => &self.rating_thanks,
        }
    }

    /// The text of a kind for a buyer's language (see the module comment).
    pub fn pick(&self, kind: TextKind, buyer_language: Option<&str>) -> String {
        let versions = self.versions(kind);
        let wanted = wanted_language(buyer_language);
        if let Some(text) = pick_version(versions, Some(&wanted)) {
            return text.to_owned();
        }
        if let Some(text) = built_in(kind, &primary(&wanted)) {
            return text.to_owned();
        }
        let english = versions.iter().find(|(l, _)| primary(l) == "en");
        english
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| built_in(kind, "en").unwrap_or_default().to_owned())
    }

    /// The rating thank-you for a buyer's language, naming `agent`.
    pub fn rating_thanks_for(&self, buyer_language: Option<&str>, agent: &str) -> String {
        self.pick(TextKind::RatingThanks, buyer_language).replace(AGENT_VARIABLE, agent)
    }
}

/// Checks and trims a shop's texts: language tags, one version per language, 1 to
/// [`MAX_TEXT_CHARS`] characters, at most [`MAX_VERSIONS`] versions, and a thank-you
/// that names the agent (DY-RATE-1).
pub fn checked(texts: BotTexts) -> CoreResult<BotTexts> {
    let check = |kind: TextKind, versions: &BTreeMap<String, String>| {
        let field = format!("texts.{}", kind.field());
        let out = checked_versions(&field, versions)?;
        for (language, text) in &out {
            if kind == TextKind::RatingThanks && !text.contains(AGENT_VARIABLE) {
                // rule: DY-RATE-1 (the thank-you names the agent)
                return Err(CoreError::invalid(
                    format!("{field}.{language}"),
                    format!("must name the agent with {AGENT_VARIABLE}"),
                ));
            }
        }
        Ok(out)
    };
    Ok(BotTexts {
        rephrase: check(TextKind::Rephrase, &texts.rephrase)?,
        hand_off: check(TextKind::HandOff, &texts.hand_off)?,
        rating_thanks: check(TextKind::RatingThanks, &texts.rating_thanks)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(l, t)| ((*l).to_owned(), (*t).to_owned())).collect()
    }

    #[test]
    fn the_buyers_language_picks_the_shops_version_else_the_built_in() {
        let texts = BotTexts {
            rephrase: versions(&[("en", "Say again?"), ("es-MX", "¿Otra vez?")]),
            ..Default::default()
        };
        let pick = |l: Option<&str>| texts.pick(TextKind::Rephrase, l);
        assert_eq!(pick(Some("es")), "¿Otra vez?", "same primary language");
        assert_eq!(pick(Some("en-GB")), "Say again?");
        assert_eq!(pick(None), "Say again?");
        assert_eq!(
            pick(Some("pl")),
            built_in(TextKind::Rephrase, "pl").unwrap(),
            "built-in Polish"
        );
        assert_eq!(pick(Some("de")), "Say again?", "no German: the shop's English");
        let none = BotTexts::default();
        assert_eq!(none.pick(TextKind::HandOff, Some("zh-CN")), "正在为您转接人工客服，请稍候。");
        assert_eq!(
            none.pick(TextKind::HandOff, Some("fr")),
            built_in(TextKind::HandOff, "en").unwrap()
        );
    }

    #[test]
    // rule: DY-RATE-1 (the thank-you names the agent, in the buyer's language)
    fn the_thank_you_names_the_agent_in_the_buyers_language() {
        let none = BotTexts::default();
        assert_eq!(none.rating_thanks_for(Some("es"), "Kim"), "¡Gracias por su valoración! — Kim");
        assert_eq!(none.rating_thanks_for(None, "Kim"), "Thank you for your rating! — Kim");
        let built = built_ins();
        for (language, text) in &built.rating_thanks {
            assert!(text.contains(AGENT_VARIABLE), "{language}");
        }
        assert_eq!(built.rephrase.len(), 4);
    }

    #[test]
    fn texts_are_checked() {
        let ok =
            BotTexts { hand_off: versions(&[(" pl ", "  Chwileczkę.  ")]), ..Default::default() };
        assert_eq!(checked(ok).unwrap().hand_off, versions(&[("pl", "Chwileczkę.")]));
        let bad = |t: BotTexts| checked(t).is_err();
        assert!(bad(BotTexts { rephrase: versions(&[("e", "x")]), ..Default::default() }));
        assert!(bad(BotTexts { rephrase: versions(&[("en", " ")]), ..Default::default() }));
        assert!(bad(BotTexts {
            rating_thanks: versions(&[("en", "Thanks!")]),
            ..Default::default()
        }));
        assert!(bad(BotTexts {
            hand_off: versions(&[("en", "a"), ("EN", "b")]),
            ..Default::default()
        }));
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert!(bad(BotTexts { hand_off: versions(&[("en", &long)]), ..Default::default() }));
    }
}
