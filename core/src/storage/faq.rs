//! The FAQ bot repository: a shop's bot settings and greeting with its totals
//! (`faq_bots`), its questions with their counts (`faq_questions`), and each bot answer
//! with the buyer's solved/unsolved mark (`bot_answers`). The ingest writer's counts
//! and answers are deferred statements of its group (no extra round trip).

use super::rows::{Columns, json_col};
use super::store::Store;
use super::write::{Db, Deferred, WriteTx};
use crate::domain::bot_texts::{BotTexts, built_ins};
use crate::domain::faq_bot::{BotSettings, BotStats, FaqQuestion, FaqQuestionInput, ShopBotView};
use crate::domain::ids::*;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

const QUESTION_COLUMNS: &str = "id, shop_id, category, phrasings, answer, answers, related, hits, \
     answered, solved, unsolved, created_at";

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn question_from_row(row: &impl Columns) -> CoreResult<FaqQuestion> {
    Ok(FaqQuestion {
        id: row.col("id")?,
        shop_id: row.col("shop_id")?,
        input: FaqQuestionInput {
            category: row.text_col("category")?,
            phrasings: json_col(row, "phrasings")?,
            answer: row.text_col("answer")?,
            answers: json_col(row, "answers")?,
            related: json_col(row, "related")?,
        },
        stats: BotStats::of(
            row.int_col("hits")?,
            row.int_col("answered")?,
            row.int_col("solved")?,
            row.int_col("unsolved")?,
        ),
        created_at: row.col("created_at")?,
    })
}

/// A shop's bot settings and totals; none before the main account first sets them.
pub async fn view(mut db: Db<'_, '_>, shop: ShopId) -> CoreResult<Option<ShopBotView>> {
    let sql = "SELECT enabled, greeting, greetings, faq, texts, hits, answered, solved, unsolved, hand_offs \
               FROM faq_bots WHERE shop_id = $1";
    let Some(row) = db.row(sql, vec![shop.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(ShopBotView {
        settings: BotSettings {
            enabled: row.col("enabled")?,
            greeting: row.text_col("greeting")?,
            greetings: json_col(&row, "greetings")?,
            faq: json_col(&row, "faq")?,
            texts: json_col(&row, "texts")?,
        },
        stats: BotStats::of(
            row.int_col("hits")?,
            row.int_col("answered")?,
            row.int_col("solved")?,
            row.int_col("unsolved")?,
        ),
        hand_offs: row.int_col("hand_offs")?,
        built_in_texts: built_ins(),
    }))
}

/// Sets a shop's bot settings (its totals stay).
pub async fn put_settings(
    w: &mut WriteTx<'_>, shop: ShopId, settings: &BotSettings, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "INSERT INTO faq_bots (shop_id, enabled, greeting, greetings, faq, texts, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) \
         ON CONFLICT (shop_id) DO UPDATE SET enabled = excluded.enabled, greeting = excluded.greeting, \
         greetings = excluded.greetings, faq = excluded.faq, texts = excluded.texts, updated_at = excluded.updated_at",
        vec![
            shop.into(),
            settings.enabled.into(),
            settings.greeting.clone().into(),
            json(&settings.greetings).into(),
            json(&settings.faq).into(),
            json(&settings.texts).into(),
            now.into(),
        ],
    )
    .await
}

/// A shop's questions, oldest first.
pub async fn questions(mut db: Db<'_, '_>, shop: ShopId) -> CoreResult<Vec<FaqQuestion>> {
    let sql = format!(
        "SELECT {QUESTION_COLUMNS} FROM faq_questions WHERE shop_id = $1 ORDER BY created_at, id"
    );
    let rows = db.rows(&sql, vec![shop.into()]).await?;
    rows.iter().map(question_from_row).collect()
}

/// One question of a shop.
pub async fn question(
    mut db: Db<'_, '_>, shop: ShopId, id: FaqQuestionId,
) -> CoreResult<Option<FaqQuestion>> {
    let sql =
        format!("SELECT {QUESTION_COLUMNS} FROM faq_questions WHERE id = $1 AND shop_id = $2");
    let row = db.row(&sql, vec![id.into(), shop.into()]).await?;
    row.map(|r| question_from_row(&r)).transpose()
}

/// Inserts a question.
pub async fn insert_question(w: &mut WriteTx<'_>, q: &FaqQuestion) -> CoreResult<()> {
    let sql = format!(
        "INSERT INTO faq_questions ({QUESTION_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,0,0,0,0,$8)"
    );
    let i = &q.input;
    let vals = vec![
        q.id.into(),
        q.shop_id.into(),
        i.category.clone().into(),
        json(&i.phrasings).into(),
        i.answer.clone().into(),
        json(&i.answers).into(),
        json(&i.related).into(),
        q.created_at.into(),
    ];
    w.run(&sql, vals).await
}

/// Replaces what the main account wrote of a question (its counts stay); whether it was found.
pub async fn update_question(
    w: &mut WriteTx<'_>, shop: ShopId, id: FaqQuestionId, i: &FaqQuestionInput,
) -> CoreResult<bool> {
    let n = w
        .exec(
            "UPDATE faq_questions SET category = $1, phrasings = $2, answer = $3, answers = $4, \
             related = $5 WHERE id = $6 AND shop_id = $7",
            vec![
                i.category.clone().into(),
                json(&i.phrasings).into(),
                i.answer.clone().into(),
                json(&i.answers).into(),
                json(&i.related).into(),
                id.into(),
                shop.into(),
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Deletes a question; whether it was found.
pub async fn delete_question(
    w: &mut WriteTx<'_>, shop: ShopId, id: FaqQuestionId,
) -> CoreResult<bool> {
    let sql = "DELETE FROM faq_questions WHERE id = $1 AND shop_id = $2";
    Ok(w.exec(sql, vec![id.into(), shop.into()]).await? == 1)
}

/// How many questions a shop has.
pub async fn question_count(w: &mut WriteTx<'_>, shop: ShopId) -> CoreResult<i64> {
    let sql = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM faq_questions WHERE shop_id = $1";
    let row = w.row(sql, vec![shop.into()]).await?;
    Ok(row.map(|r| r.int_col("n")).transpose()?.unwrap_or(0))
}

/// A bot answer written by the ingest writer.
#[derive(Clone, Debug)]
pub struct BotAnswer {
    /// The answer's message.
    pub message_id: MessageId,
    /// Its shop.
    pub shop_id: ShopId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// The question it answers.
    pub question_id: FaqQuestionId,
}

/// What an ingest group adds to a shop's bot counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    /// Questions recognised.
    pub hits: i64,
    /// Answers sent.
    pub answered: i64,
    /// Conversations handed to a human.
    pub hand_offs: i64,
}

/// Defers an ingest group's bot answers and counts (per question and per shop).
pub fn defer_group(
    answers: &[BotAnswer], questions: &HashMap<FaqQuestionId, GroupCounts>,
    shops: &HashMap<ShopId, GroupCounts>, now: DateTime<Utc>, deferred: &mut Deferred,
) {
    for a in answers {
        deferred.push(
            "INSERT INTO bot_answers (message_id, shop_id, conversation_id, question_id, created_at) \
             VALUES ($1,$2,$3,$4,$5)"
                .into(),
            vec![
                a.message_id.into(),
                a.shop_id.into(),
                a.conversation_id.into(),
                a.question_id.into(),
                now.into(),
            ],
        );
    }
    for (id, c) in questions {
        deferred.push(
            "UPDATE faq_questions SET hits = hits + $1, answered = answered + $2 WHERE id = $3"
                .into(),
            vec![c.hits.into(), c.answered.into(), (*id).into()],
        );
    }
    for (shop, c) in shops {
        deferred.push(
            "UPDATE faq_bots SET hits = hits + $1, answered = answered + $2, \
             hand_offs = hand_offs + $3 WHERE shop_id = $4"
                .into(),
            vec![c.hits.into(), c.answered.into(), c.hand_offs.into(), (*shop).into()],
        );
    }
}

/// Counts one hand-off outside the ingest writer.
pub async fn count_hand_off(w: &mut WriteTx<'_>, shop: ShopId) -> CoreResult<()> {
    let sql = "UPDATE faq_bots SET hand_offs = hand_offs + 1 WHERE shop_id = $1";
    w.run(sql, vec![shop.into()]).await
}

/// A bot answer of a buyer's conversation, locked: its question and the buyer's mark so far.
pub async fn answer_of_buyer(
    w: &mut WriteTx<'_>, shop: ShopId, buyer: BuyerId, message: MessageId,
) -> CoreResult<Option<(FaqQuestionId, Option<bool>)>> {
    let sql = format!(
        "SELECT a.question_id, a.feedback FROM bot_answers a \
         JOIN conversations c ON c.id = a.conversation_id \
         WHERE a.message_id = $1 AND a.shop_id = $2 AND c.buyer_id = $3{}",
        w.store().for_update()
    );
    let Some(row) = w.row(&sql, vec![message.into(), shop.into(), buyer.into()]).await? else {
        return Ok(None);
    };
    let feedback = match row.opt_text_col("feedback")?.as_deref() {
        None => None,
        Some("solved") => Some(true),
        Some("unsolved") => Some(false),
        Some(other) => return Err(CoreError::Unavailable(bad_feedback(other))),
    };
    Ok(Some((row.col("question_id")?, feedback)))
}

fn bad_feedback(_: &str) -> &'static str {
    "a bot answer's feedback is neither solved nor unsolved"
}

/// Records a buyer's mark on a bot answer, moving the counts from its previous mark.
pub async fn set_feedback(
    w: &mut WriteTx<'_>, shop: ShopId, message: MessageId, question: FaqQuestionId,
    before: Option<bool>, solved: bool,
) -> CoreResult<()> {
    let mark = if solved { "solved" } else { "unsolved" };
    w.run(
        "UPDATE bot_answers SET feedback = $1 WHERE message_id = $2",
        vec![mark.into(), message.into()],
    )
    .await?;
    let delta = |yes: bool| -> i64 { i64::from(solved == yes) - i64::from(before == Some(yes)) };
    let (s, u) = (delta(true), delta(false));
    w.run(
        "UPDATE faq_questions SET solved = solved + $1, unsolved = unsolved + $2 WHERE id = $3",
        vec![s.into(), u.into(), question.into()],
    )
    .await?;
    w.run(
        "UPDATE faq_bots SET solved = solved + $1, unsolved = unsolved + $2 WHERE shop_id = $3",
        vec![s.into(), u.into(), shop.into()],
    )
    .await
}

/// A shop's own texts (none set: the built-in ones everywhere).
pub async fn texts(mut db: Db<'_, '_>, shop: ShopId) -> CoreResult<BotTexts> {
    let row = db.row("SELECT texts FROM faq_bots WHERE shop_id = $1", vec![shop.into()]).await?;
    Ok(row.map(|r| json_col(&r, "texts")).transpose()?.unwrap_or_default())
}

/// Everything the inbound path compiles a shop's bot from: its settings and questions,
/// when the main account set a bot or a greeting.
pub async fn for_ingest(
    store: &Store, shop: ShopId,
) -> CoreResult<Option<(BotSettings, Vec<FaqQuestion>)>> {
    let Some(view) = view(Db::Pool(store), shop).await? else {
        return Ok(None);
    };
    let s = view.settings;
    if !s.enabled && !s.has_greeting() && s.faq.is_empty() {
        return Ok(None);
    }
    Ok(Some((s, questions(Db::Pool(store), shop).await?)))
}

/// The shop's buyer of an external id.
pub async fn buyer_of(
    w: &mut WriteTx<'_>, shop: ShopId, external_id: &str,
) -> CoreResult<Option<BuyerId>> {
    let sql = "SELECT id FROM buyers WHERE shop_id = $1 AND external_id = $2";
    let row = w.row(sql, vec![shop.into(), external_id.into()]).await?;
    row.map(|r| r.col("id")).transpose()
}
