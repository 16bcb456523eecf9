//! The FAQ bot and the shop greeting as data and pure decisions: a shop's bot settings
//! and greeting with its versions per buyer language and its FAQ list (DY-GREET-1), its
//! questions with category, phrasings,
//! answers per language and related questions (DY-BOT-1), what the bot does with a
//! buyer's text (answer, ask to rephrase, hand over: DY-BOT-2..4), the messages it
//! writes, and the resolution rates (DY-BOT-2).

use super::bot_texts::{self, BotTexts, TextKind, built_in, checked_versions, pick_version};
use super::faq_match::{FaqIndex, Match, normalize};
use super::ids::{FaqQuestionId, ShopId};
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::content::{MessageContent, QuickAction, QuickActionKind};
use shopmux_contract::kinds::ContentKind;
use shopmux_contract::rules::RuleSet;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Consecutive misses after which the bot hands the buyer to a human (DY-BOT-3).
pub const MAX_MISSES: i64 = 2;
/// The most questions of a shop.
pub const MAX_QUESTIONS: usize = 500;
/// The most phrasings of a question.
pub const MAX_PHRASINGS: usize = 50;
/// The longest phrasing.
pub const MAX_PHRASING_CHARS: usize = 500;
/// The most related questions of a question (quick actions of an answer).
pub const MAX_RELATED: usize = 5;
/// The most questions in a greeting's FAQ list.
pub const MAX_FAQ_LIST: usize = 10;

/// A shop's bot and greeting settings, as the main account sets them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BotSettings {
    /// The FAQ bot answers buyers of new conversations (DY-BOT-1).
    #[serde(default)]
    pub enabled: bool,
    /// The greeting shown when a buyer opens the chat (DY-GREET-1); empty: none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub greeting: String,
    /// The greeting per buyer language (`es`, `zh-CN`): the buyer's language picks one
    /// (the exact tag, else the same primary language), else `greeting` (DY-GREET-1).
    #[serde(default)]
    pub greetings: BTreeMap<String, String>,
    /// The FAQ list shown with the greeting: questions of the shop, in order.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub faq: Vec<FaqQuestionId>,
    /// The shop's own versions, per language, of "please rephrase", the hand-off notice
    /// and the rating thank-you; absent languages use the built-in texts.
    #[serde(default)]
    pub texts: BotTexts,
}

/// A question as the main account writes it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FaqQuestionInput {
    /// Its category (`shipping`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = r"\S"))]
    pub category: String,
    /// How buyers ask it, in any languages; the first is its title.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 50))]
    pub phrasings: Vec<String>,
    /// The answer (the default for languages without their own).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4000, pattern = r"\S"))]
    pub answer: String,
    /// The answer per buyer language (`en`, `es`, `pl`, `zh`).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// Related questions, offered with the answer.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 5))]
    pub related: Vec<FaqQuestionId>,
}

/// A question of a shop's FAQ with its counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaqQuestion {
    /// Id.
    pub id: FaqQuestionId,
    /// The shop.
    pub shop_id: ShopId,
    /// What the main account wrote.
    #[serde(flatten)]
    pub input: FaqQuestionInput,
    /// Its counts.
    pub stats: BotStats,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl FaqQuestion {
    /// Its title: the first phrasing.
    pub fn title(&self) -> &str {
        self.input.phrasings.first().map_or("", String::as_str)
    }
}

/// Hit and resolution counts, of a question or of a shop (DY-BOT-1, DY-BOT-2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotStats {
    /// Times recognised.
    pub hits: i64,
    /// Answers the bot sent.
    pub answers: i64,
    /// Answers the buyer marked solved.
    pub solved: i64,
    /// Answers the buyer marked unsolved.
    pub unsolved: i64,
    /// solved / answers; none before the first answer.
    pub resolution_rate: Option<f64>,
    /// solved / (solved + unsolved); none before the first feedback.
    pub feedback_resolution_rate: Option<f64>,
}

impl BotStats {
    /// The stats of these counts, with their rates.
    pub fn of(hits: i64, answers: i64, solved: i64, unsolved: i64) -> Self {
        let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        Self {
            hits,
            answers,
            solved,
            unsolved,
            // rule: DY-BOT-2 (resolution rate = solved / bot answers; feedback resolution
            // rate = solved / (solved + unsolved))
            resolution_rate: ratio(solved, answers),
            feedback_resolution_rate: ratio(solved, solved + unsolved),
        }
    }
}

/// A shop's bot and FAQ counts as the API shows them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopBotView {
    /// The settings.
    pub settings: BotSettings,
    /// The shop's totals.
    pub stats: BotStats,
    /// Conversations the bot handed to a human.
    pub hand_offs: i64,
    /// The built-in texts in every language they exist in, for editors to start from.
    pub built_in_texts: BotTexts,
}

fn text(field: &str, value: &str, max: usize) -> CoreResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(CoreError::invalid(field, format!("must be 1 to {max} characters")));
    }
    Ok(v.to_owned())
}

/// Checks and trims a question (the related ids are checked against the shop by the caller).
pub fn checked_question(input: FaqQuestionInput) -> CoreResult<FaqQuestionInput> {
    if input.phrasings.is_empty() || input.phrasings.len() > MAX_PHRASINGS {
        return Err(CoreError::invalid(
            "phrasings",
            format!("a question has 1 to {MAX_PHRASINGS} phrasings"),
        ));
    }
    if input.related.len() > MAX_RELATED {
        return Err(CoreError::invalid("related", format!("at most {MAX_RELATED}")));
    }
    let mut answers = BTreeMap::new();
    for (lang, answer) in &input.answers {
        let ok = (2..=8).contains(&lang.len())
            && lang.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        if !ok {
            return Err(CoreError::invalid("answers", format!("`{lang}` is not a language code")));
        }
        answers.insert(lang.clone(), text(&format!("answers.{lang}"), answer, 4000)?);
    }
    Ok(FaqQuestionInput {
        category: text("category", &input.category, 64)?,
        phrasings: input
            .phrasings
            .iter()
            .map(|p| text("phrasings", p, MAX_PHRASING_CHARS))
            .collect::<CoreResult<_>>()?,
        answer: text("answer", &input.answer, 4000)?,
        answers,
        related: input.related,
    })
}

/// Checks and trims bot settings (the FAQ list's ids are checked against the shop by
/// the caller).
pub fn checked_settings(settings: BotSettings) -> CoreResult<BotSettings> {
    if settings.greeting.chars().count() > 1000 {
        return Err(CoreError::invalid("greeting", "at most 1000 characters"));
    }
    if settings.faq.len() > MAX_FAQ_LIST {
        return Err(CoreError::invalid("faq", format!("at most {MAX_FAQ_LIST} questions")));
    }
    let texts = bot_texts::checked(settings.texts)?;
    let greetings = checked_versions("greetings", &settings.greetings)?;
    Ok(BotSettings { greeting: settings.greeting.trim().to_owned(), greetings, texts, ..settings })
}

impl BotSettings {
    /// The greeting for a buyer's language: its version, else the default (DY-GREET-1).
    pub fn greeting_for(&self, buyer_language: Option<&str>) -> &str {
        // rule: DY-GREET-1 (the buyer's language picks the greeting's version)
        pick_version(&self.greetings, buyer_language).unwrap_or(&self.greeting)
    }

    /// Whether a greeting is set, in any language.
    pub fn has_greeting(&self) -> bool {
        !self.greeting.is_empty() || !self.greetings.is_empty()
    }
}

/// A buyer language the bot writes its own messages in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English (the default).
    En,
    /// Spanish.
    Es,
    /// Polish.
    Pl,
    /// Chinese.
    Zh,
}

impl Lang {
    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pl => "pl",
            Lang::Zh => "zh",
        }
    }
}

/// The language a buyer wrote in, by script, letters and common words (English when
/// nothing tells).
pub fn detect_language(text: &str) -> Lang {
    if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return Lang::Zh;
    }
    let lower = text.to_lowercase();
    if lower.chars().any(|c| "ąćęłńśźż".contains(c)) {
        return Lang::Pl;
    }
    if lower.chars().any(|c| "ñ¿¡áéíú".contains(c)) {
        return Lang::Es;
    }
    const PL: &[&str] = &["jak", "czy", "gdzie", "jest", "moje", "moja", "mogę", "moge", "ile"];
    const ES: &[&str] = &["como", "donde", "que", "el", "la", "mi", "puedo", "cuanto", "es"];
    let words: Vec<String> = normalize(text).split(' ').map(str::to_owned).collect();
    let count = |list: &[&str]| words.iter().filter(|w| list.contains(&w.as_str())).count();
    match (count(PL), count(ES)) {
        (p, e) if p > e => Lang::Pl,
        (p, e) if e > p => Lang::Es,
        _ => Lang::En,
    }
}

/// Whether the buyer asks for a human (DY-BOT-4), in English, Spanish, Polish or Chinese.
pub fn asks_for_human(text: &str) -> bool {
    // rule: DY-BOT-4 (asking for a human at any time)
    const WORDS: &[&str] = &[
        "human",
        "agent",
        "person",
        "operator",
        "representative",
        "humano",
        "persona",
        "agente",
        "asesor",
        "operador",
        "konsultant",
        "konsultanta",
        "konsultantem",
        "czlowiek",
        "czlowieka",
        "czlowiekiem",
        "pracownik",
        "pracownika",
    ];
    const CJK: &[&str] = &["人工", "客服", "真人"];
    if CJK.iter().any(|w| text.contains(w)) {
        return true;
    }
    normalize(text).split(' ').any(|w| WORDS.contains(&w))
}

/// Why the bot handed a conversation to a human.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HandOffReason {
    /// The buyer asked for a human (DY-BOT-4).
    Asked,
    /// Two consecutive questions were not recognised (DY-BOT-3).
    Misses,
    /// The platform's rules refused the bot's message.
    Refused,
}

impl HandOffReason {
    /// Its name, as the API and the `bot.handoff` webhook carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asked => "asked",
            Self::Misses => "misses",
            Self::Refused => "refused",
        }
    }

    /// What a `bot.handoff` webhook adds to the conversation: `{"reason": …}`.
    pub fn webhook_extra(self) -> serde_json::Map<String, serde_json::Value> {
        let mut extra = serde_json::Map::new();
        extra.insert("reason".into(), self.as_str().into());
        extra
    }
}

/// What the bot does with a buyer's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Answer a recognised question (the misses start again).
    Answer(FaqQuestionId),
    /// Ask to rephrase; the consecutive misses are now this many.
    Rephrase(i64),
    /// Hand the conversation to a human.
    HandOff(HandOffReason),
}

/// What the bot does with a buyer's text after `misses` consecutive misses.
pub fn decide(index: &FaqIndex<FaqQuestionId>, misses: i64, text: &str) -> Turn {
    if asks_for_human(text) {
        return Turn::HandOff(HandOffReason::Asked);
    }
    match index.find(text) {
        Match::Hit(id, _) => Turn::Answer(id),
        Match::Miss { .. } => {
            // rule: DY-BOT-3 (after 2 consecutive misses, hand over; a hit resets)
            let misses = misses + 1;
            if misses >= MAX_MISSES {
                Turn::HandOff(HandOffReason::Misses)
            } else {
                Turn::Rephrase(misses)
            }
        }
    }
}

/// A shop's bot and greeting compiled for the inbound path (cached with the shop).
#[derive(Debug)]
pub struct ShopBot {
    /// The settings.
    pub settings: BotSettings,
    /// The questions by id.
    pub questions: HashMap<FaqQuestionId, FaqQuestion>,
    /// Their phrasings compiled.
    pub index: FaqIndex<FaqQuestionId>,
    /// The shop's rules in force (with its overrides): bot messages are replies.
    pub rules: Arc<RuleSet>,
}

impl ShopBot {
    /// Compiles a shop's bot.
    pub fn compile(
        settings: BotSettings, questions: Vec<FaqQuestion>, rules: Arc<RuleSet>,
    ) -> Self {
        let index = FaqIndex::build(questions.iter().map(|q| (q.id, q.input.phrasings.as_slice())));
        let questions = questions.into_iter().map(|q| (q.id, q)).collect();
        Self { settings, questions, index, rules }
    }

    /// Whether the bot answers buyers.
    pub fn answers(&self) -> bool {
        self.settings.enabled
    }

    /// The greeting in the buyer's language to send as a new conversation's first
    /// message, where the platform allows an automatic message (DY-GREET-1).
    pub fn first_message(&self, buyer_language: Option<&str>) -> Option<MessageContent> {
        let allowed = self.rules.automatic_greeting.is_some();
        let text = self.settings.greeting_for(buyer_language);
        if !allowed || text.is_empty() {
            return None;
        }
        Some(self.with_actions(text.to_owned(), &self.settings.faq, false))
    }

    /// The greeting in the buyer's language and the FAQ list as a chat surface shows them.
    pub fn greeting(&self, buyer_language: Option<&str>) -> Option<Greeting> {
        let faq: Vec<GreetingItem> = self
            .settings
            .faq
            .iter()
            .filter_map(|id| self.questions.get(id))
            .map(|q| GreetingItem { question_id: q.id, text: q.title().to_owned() })
            .collect();
        let text = self.settings.greeting_for(buyer_language);
        if text.is_empty() && faq.is_empty() {
            return None;
        }
        Some(Greeting { text: text.to_owned(), faq })
    }

    /// A text with these questions as quick actions where the platform carries them
    /// (`card`: an automatic-reply card even without actions, so a chat surface knows
    /// the bot's answers and offers the solved/unsolved buttons under them).
    fn with_actions(
        &self, text: String, questions: &[FaqQuestionId], card: bool,
    ) -> MessageContent {
        let actions: Vec<QuickAction> = questions
            .iter()
            .filter_map(|id| self.questions.get(id))
            .map(|q| QuickAction {
                title: q.title().to_owned(),
                kind: QuickActionKind::Text,
                content: q.title().to_owned(),
            })
            .collect();
        let carries = self
            .rules
            .outbound_kinds
            .as_ref()
            .is_none_or(|k| k.allowed.contains(&ContentKind::AutoReply));
        if (actions.is_empty() && !card) || !carries {
            MessageContent::Text { text }
        } else {
            MessageContent::AutoReply { text, actions }
        }
    }

    /// One of the shop's fixed texts ("please rephrase", the hand-off notice) in the
    /// buyer's language: the shop's version, else the built-in one.
    pub fn text(&self, kind: TextKind, lang: Lang) -> MessageContent {
        MessageContent::Text { text: self.settings.texts.pick(kind, Some(lang.code())) }
    }

    /// The answer to a question in the buyer's language, with its related questions.
    pub fn answer(&self, id: FaqQuestionId, lang: Lang) -> Option<MessageContent> {
        let q = self.questions.get(&id)?;
        let text = q.input.answers.get(lang.code()).unwrap_or(&q.input.answer).clone();
        Some(self.with_actions(text, &q.input.related, true))
    }
}

/// The greeting and FAQ list a chat surface shows when a buyer opens it (DY-GREET-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Greeting {
    /// The greeting (may be empty when only the FAQ list is set).
    pub text: String,
    /// The FAQ list: clicking one asks it.
    pub faq: Vec<GreetingItem>,
}

/// One question of the FAQ list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GreetingItem {
    /// The question.
    pub question_id: FaqQuestionId,
    /// Its text.
    pub text: String,
}

/// The built-in "please rephrase" in the buyer's language (DY-BOT-3).
pub fn rephrase_text(lang: Lang) -> &'static str {
    built_in(TextKind::Rephrase, lang.code()).unwrap_or_default()
}

/// The built-in notice the bot sends when it hands the buyer to a human.
pub fn hand_off_text(lang: Lang) -> &'static str {
    built_in(TextKind::HandOff, lang.code()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> (FaqIndex<FaqQuestionId>, FaqQuestionId) {
        let id = FaqQuestionId::new();
        let phrasings: Vec<String> = vec!["How long does shipping take?".into()];
        (FaqIndex::build([(id, phrasings.as_slice())]), id)
    }

    #[test]
    fn dy_bot_3_the_first_miss_asks_to_rephrase_the_second_hands_over() {
        // rule: DY-BOT-3
        let (index, _) = index();
        assert_eq!(decide(&index, 0, "is the blue mug in stock"), Turn::Rephrase(1));
        assert_eq!(
            decide(&index, 1, "is the blue mug in stock"),
            Turn::HandOff(HandOffReason::Misses)
        );
    }

    #[test]
    fn dy_bot_3_a_hit_between_misses_starts_the_count_again() {
        // rule: DY-BOT-3 (the misses are consecutive: the caller resets them on a hit)
        let (index, id) = index();
        assert_eq!(decide(&index, 1, "how long does shipping take"), Turn::Answer(id));
        assert_eq!(decide(&index, 0, "is the blue mug in stock"), Turn::Rephrase(1));
    }

    #[test]
    fn dy_bot_4_asking_for_a_human_hands_over_in_every_buyer_language() {
        // rule: DY-BOT-4
        let (index, _) = index();
        for text in [
            "I want to talk to a human",
            "agent please",
            "can I speak to a real person?",
            "quiero hablar con una persona",
            "agente por favor",
            "poproszę konsultanta",
            "chcę rozmawiać z człowiekiem",
            "人工",
            "转人工",
            "我要找客服",
        ] {
            assert_eq!(decide(&index, 0, text), Turn::HandOff(HandOffReason::Asked), "{text}");
        }
        for text in ["how long does shipping take", "agenda", "personal data", "工作"] {
            assert!(!asks_for_human(text), "{text}");
        }
    }

    #[test]
    fn the_buyers_language_picks_the_bots_texts() {
        assert_eq!(detect_language("¿Cuánto tarda?"), Lang::Es);
        assert_eq!(detect_language("donde esta mi paquete"), Lang::Es);
        assert_eq!(detect_language("Ile trwa wysyłka?"), Lang::Pl);
        assert_eq!(detect_language("gdzie jest paczka"), Lang::Pl);
        assert_eq!(detect_language("发货要多久"), Lang::Zh);
        assert_eq!(detect_language("where is my parcel"), Lang::En);
        assert_ne!(rephrase_text(Lang::Zh), rephrase_text(Lang::En));
    }

    #[test]
    fn dy_bot_2_rates_are_solved_over_answers_and_over_feedback() {
        // rule: DY-BOT-2
        let s = BotStats::of(10, 8, 2, 2);
        assert_eq!(s.resolution_rate, Some(0.25));
        assert_eq!(s.feedback_resolution_rate, Some(0.5));
        assert_eq!(BotStats::of(0, 0, 0, 0).resolution_rate, None);
        assert_eq!(BotStats::of(1, 1, 0, 0).feedback_resolution_rate, None);
    }

    #[test]
    fn settings_and_questions_are_checked() {
        let long = BotSettings { greeting: "x".repeat(1001), ..Default::default() };
        assert!(checked_settings(long).is_err());
        let q = FaqQuestionInput {
            category: " shipping ".into(),
            phrasings: vec![" How long? ".into()],
            answer: "3 days".into(),
            answers: BTreeMap::from([("EN!".to_owned(), "x".to_owned())]),
            related: vec![],
        };
        assert!(checked_question(q.clone()).is_err());
        let ok = checked_question(FaqQuestionInput { answers: BTreeMap::new(), ..q }).unwrap();
        assert_eq!((ok.category.as_str(), ok.phrasings[0].as_str()), ("shipping", "How long?"));
        let none = FaqQuestionInput { phrasings: vec![], ..ok };
        assert!(checked_question(none).is_err());
    }

    #[test]
    fn dy_greet_1_the_buyers_language_picks_the_greeting_else_the_default() {
        // rule: DY-GREET-1 (a greeting per buyer language; the plain greeting is the default)
        let settings = checked_settings(BotSettings {
            greeting: "Hi! How can I help?".into(),
            greetings: BTreeMap::from([
                (" es ".to_owned(), " ¡Hola! ¿En qué te ayudo? ".to_owned()),
                ("zh-CN".to_owned(), "您好！".to_owned()),
            ]),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(settings.greeting_for(Some("es")), "¡Hola! ¿En qué te ayudo?");
        assert_eq!(settings.greeting_for(Some("es-MX")), "¡Hola! ¿En qué te ayudo?");
        assert_eq!(settings.greeting_for(Some("zh")), "您好！");
        assert_eq!(settings.greeting_for(Some("pl")), "Hi! How can I help?");
        assert_eq!(settings.greeting_for(None), "Hi! How can I help?");
        let bot = ShopBot::compile(
            settings,
            vec![],
            Arc::new(RuleSet::permissive(shopmux_contract::Platform::from_static("x"))),
        );
        assert_eq!(bot.greeting(Some("es")).unwrap().text, "¡Hola! ¿En qué te ayudo?");
        assert_eq!(bot.greeting(None).unwrap().text, "Hi! How can I help?");
        let bad = |greetings: &[(&str, &str)]| {
            let greetings = greetings.iter().map(|(l, t)| ((*l).into(), (*t).into())).collect();
            checked_settings(BotSettings { greetings, ..Default::default() }).unwrap_err()
        };
        assert!(bad(&[("e!", "x")]).to_string().contains("greetings"));
        assert!(bad(&[("pl", " ")]).to_string().contains("greetings.pl"));
    }
}
