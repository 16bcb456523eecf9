//! The agent's side of translation (TT-TR-1, AE-TR-1, AE-TR-2): each conversation's
//! auto-translation switch with the agent's choice of source and target, the live
//! translation of a draft (the reply box asks as the agent types), and the reply that
//! sends the translation and keeps the agent's original with it. Where the platform
//! translates replies itself (its `RuleSet.translation`), the switch stays off and
//! replies leave as written — never translated twice.

use crate::domain::ids::ConversationId;
use crate::domain::model::{Conversation, Message, MessageTranslation, TranslationStatus};
use crate::domain::translation::{MAX_TEXT_CHARS, normalize_language};
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::buyers;
use crate::storage::translations::{self, ConversationChoice};
use serde::{Deserialize, Serialize};
use shopmux_contract::MessageContent;

/// A conversation's translation as the reply box shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationTranslation {
    /// Replies are translated before sending.
    pub auto_translate: bool,
    /// The language the agent writes in, as chosen (none: `agent_language`).
    pub source: Option<String>,
    /// The language sent, as chosen (none: `buyer_language`, else English).
    pub target: Option<String>,
    /// The viewer's interface language.
    pub agent_language: String,
    /// The buyer's language, when known.
    pub buyer_language: Option<String>,
    /// The rule by which the platform translates replies itself (AE-TR-1): the switch
    /// stays off, replies leave as written.
    pub platform_translates: Option<String>,
    /// The configured provider, if any.
    pub provider: Option<String>,
}

/// A change of a conversation's translation (AE-TR-2: the agent chooses source and
/// target).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TranslationChoice {
    /// Translate replies before sending.
    pub auto_translate: bool,
    /// The language the agent writes in (none: the agent's own).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 16, pattern = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
    )]
    pub source: Option<String>,
    /// The language sent (none: the buyer's).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 16, pattern = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
    )]
    pub target: Option<String>,
}

/// A draft to translate (none: the conversation's choice, else the defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The agent's text (not blank).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 5000, pattern = r"\S"))]
    pub text: String,
    /// Its language.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 16, pattern = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
    )]
    pub source: Option<String>,
    /// The language wanted.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 16, pattern = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
    )]
    pub target: Option<String>,
}

/// A draft's translation, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftTranslation {
    /// The translation (none: untranslated, `error` says why).
    pub text: Option<String>,
    /// The language translated from.
    pub source: Option<String>,
    /// The language translated into.
    pub target: String,
    /// The provider.
    pub provider: Option<String>,
    /// Why it is untranslated.
    pub error: Option<String>,
}

/// How a reply is translated before sending: the languages (none: the conversation's
/// choice, else the defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReplyTranslation {
    /// The language the agent wrote in.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 16, pattern = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
    )]
    pub source: Option<String>,
    /// The language to send.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 16, pattern = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
    )]
    pub target: Option<String>,
}

/// The longest language tag taken (the API's documented bound).
pub const MAX_LANGUAGE_TAG_CHARS: usize = 16;

/// Whether an agent's language tag is well formed, as the API documents it: a primary
/// subtag of 2 or 3 letters, then subtags of 1 to 8 letters or digits after `-` or `_`
/// (`en`, `zh-CN`, `pt_BR`), at most [`MAX_LANGUAGE_TAG_CHARS`] in all.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next().unwrap_or_default();
    tag.len() <= MAX_LANGUAGE_TAG_CHARS
        && (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A language the agent gives, as its primary subtag.
fn language_field(field: &str, value: Option<&str>) -> CoreResult<Option<String>> {
    value
        .map(|v| {
            normalize_language(v)
                .filter(|_| is_language_tag(v))
                .ok_or_else(|| CoreError::invalid(field, format!("`{v}` is not a language tag")))
        })
        .transpose()
}

impl Inbox {
    /// Sets the viewer's interface language: what buyer messages are translated into.
    pub async fn set_agent_language(&self, viewer: &Viewer, language: &str) -> CoreResult<String> {
        let lang = language_field("language", Some(language))?.unwrap_or_default();
        translations::set_agent_language(&self.store, viewer.agent.id, &lang, self.clock.now())
            .await?;
        Ok(lang)
    }

    /// The rule by which a conversation's platform translates replies itself.
    fn platform_translates(&self, c: &Conversation) -> Option<String> {
        self.rule_set(&c.platform).translation.platform_translates().map(str::to_owned)
    }

    /// A conversation's translation switch, languages and defaults.
    pub async fn conversation_translation(
        &self, viewer: &Viewer, id: ConversationId,
    ) -> CoreResult<ConversationTranslation> {
        let c = self.conversation(viewer, id).await?;
        let choice = translations::choice(&self.store, id).await?;
        self.translation_view(viewer, &c, choice).await
    }

    async fn translation_view(
        &self, viewer: &Viewer, c: &Conversation, choice: ConversationChoice,
    ) -> CoreResult<ConversationTranslation> {
        let buyer = buyers::get(&self.store, c.buyer_id).await?;
        let agent_language =
            self.reader_language(viewer.agent.seller_id, Some(viewer.agent.id)).await?;
        let platform_translates = self.platform_translates(c);
        Ok(ConversationTranslation {
            auto_translate: choice.auto_translate && platform_translates.is_none(),
            source: choice.source,
            target: choice.target,
            agent_language,
            buyer_language: buyer.and_then(|b| b.language).and_then(|l| normalize_language(&l)),
            platform_translates,
            provider: self.translation.provider.as_ref().map(|p| p.name().to_owned()),
        })
    }

    /// Switches a conversation's auto-translation and sets its languages (TT-TR-1,
    /// AE-TR-2); refused where the platform translates replies itself (AE-TR-1).
    pub async fn set_conversation_translation(
        &self, viewer: &Viewer, id: ConversationId, choice: &TranslationChoice,
    ) -> CoreResult<ConversationTranslation> {
        let c = self.conversation(viewer, id).await?;
        viewer.require_chat(c.shop_id)?;
        let source = language_field("source", choice.source.as_deref())?;
        let target = language_field("target", choice.target.as_deref())?;
        // rule: AE-TR-1 — the platform translates replies: translating them here too
        // would translate twice.
        if let (true, Some(rule)) = (choice.auto_translate, self.platform_translates(&c)) {
            return Err(CoreError::Unprocessable {
                code: "platform_translates",
                field: "auto_translate".into(),
                message: format!("{rule}: the platform shows the buyer replies in their language"),
            });
        }
        let stored = ConversationChoice { auto_translate: choice.auto_translate, source, target };
        translations::set_choice(&self.store, id, &stored, self.clock.now()).await?;
        self.translation_view(viewer, &c, stored).await
    }

    /// Translates an agent's draft for a conversation (the reply box's live preview,
    /// TT-TR-1): from the chosen or the agent's language into the chosen or the buyer's
    /// (English where unknown or unsupported, AE-TR-2).
    pub async fn translate_draft(
        &self, viewer: &Viewer, id: ConversationId, draft: &DraftRequest,
    ) -> CoreResult<DraftTranslation> {
        let text = draft.text.trim();
        if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
            return Err(CoreError::invalid("text", format!("1 to {MAX_TEXT_CHARS} characters")));
        }
        let c = self.conversation(viewer, id).await?;
        let (source, target) =
            self.reply_languages(viewer, &c, &draft.source, &draft.target).await?;
        let t =
            self.translate_text(viewer.agent.seller_id, text, source.as_deref(), &target).await?;
        let (text, error) = match t.result {
            Ok(c) => (Some(c.translated), None),
            Err(why) => (None, Some(why)),
        };
        Ok(DraftTranslation { text, source, target: t.target, provider: t.provider, error })
    }

    /// The languages a reply goes between: asked, else the conversation's choice, else
    /// the agent's and the buyer's (English when the buyer's is unknown).
    async fn reply_languages(
        &self, viewer: &Viewer, c: &Conversation, source: &Option<String>, target: &Option<String>,
    ) -> CoreResult<(Option<String>, String)> {
        let asked_source = language_field("source", source.as_deref())?;
        let asked_target = language_field("target", target.as_deref())?;
        let view = self
            .translation_view(viewer, c, translations::choice(&self.store, c.id).await?)
            .await?;
        // rule: AE-TR-2 — the agent may choose source and target.
        let source = asked_source.or(view.source).or(Some(view.agent_language));
        let target =
            asked_target.or(view.target).or(view.buyer_language).unwrap_or_else(|| "en".into());
        Ok((source, target))
    }

    /// Sends a reply translated into the buyer's language (TT-TR-1): what is sent is the
    /// translation, and the message keeps the agent's original with it. Where the
    /// platform translates itself (AE-TR-1) the reply leaves as written; a failed
    /// translation never blocks it: it leaves as written with the reason recorded.
    pub async fn reply_translated(
        &self, viewer: &Viewer, id: ConversationId, content: MessageContent,
        acknowledged: &[String], asked: &ReplyTranslation,
    ) -> CoreResult<Message> {
        let c = self.conversation(viewer, id).await?;
        let MessageContent::Text { text } = &content else {
            return self.reply_acknowledging(viewer, id, content, acknowledged).await;
        };
        if self.platform_translates(&c).is_some() {
            // rule: AE-TR-1 — not translated twice.
            return self.reply_acknowledging(viewer, id, content, acknowledged).await;
        }
        let (source, target) =
            self.reply_languages(viewer, &c, &asked.source, &asked.target).await?;
        let t =
            self.translate_text(viewer.agent.seller_id, text, source.as_deref(), &target).await?;
        let (sent, translation) = match t.result {
            Ok(done) => {
                let kept = MessageTranslation {
                    status: TranslationStatus::Translated,
                    source,
                    target: Some(t.target),
                    provider: t.provider,
                    error: None,
                    original_text: Some(text.clone()),
                };
                (MessageContent::Text { text: done.translated }, kept)
            }
            Err(why) => {
                let kept = MessageTranslation {
                    status: TranslationStatus::Failed,
                    source,
                    target: Some(t.target),
                    provider: t.provider,
                    error: Some(why),
                    original_text: None,
                };
                (content.clone(), kept)
            }
        };
        self.reply_with(viewer, id, sent, acknowledged, Some(translation)).await
    }
}
