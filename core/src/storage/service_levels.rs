//! Service-level outcomes: one row per conversation answered while its shop's
//! first-reply target ran (met or missed), written in the transaction of the first human
//! reply; targets missed with nobody answering are the conversations whose stored due
//! time passed (`sla_due_at`, cleared by the first reply). The breach counts per shop and
//! agent over a period read both through their indexes, never scanning messages.

use super::rows::Columns;
use super::sql::{Val, list_placeholders};
use super::store::Store;
use super::write::Deferred;
use crate::domain::ids::*;
use crate::domain::model::Conversation;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

/// Records, in `deferred`, the outcome of each change that is a conversation's first
/// human reply while a first-reply target ran: met when the reply came at or before the
/// due time, missed after it. A miss recorded before stays a miss.
pub fn defer_first_replies(
    changes: &[(SellerId, Option<Conversation>, Conversation)], deferred: &mut Deferred,
) {
    for (seller, before, after) in changes {
        let Some(before) = before else { continue };
        let (Some(due), None, Some(replied)) =
            (before.sla_due_at, before.last_agent_reply_at, after.last_agent_reply_at)
        else {
            continue;
        };
        let sql = "INSERT INTO service_level_outcomes \
             (conversation_id, seller_id, shop_id, agent_id, due_at, replied_at, breached) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (conversation_id) DO UPDATE SET \
             replied_at = excluded.replied_at, \
             agent_id = COALESCE(service_level_outcomes.agent_id, excluded.agent_id), \
             breached = CASE WHEN service_level_outcomes.breached = 1 THEN 1 ELSE excluded.breached END";
        let vals = vec![
            after.id.into(),
            (*seller).into(),
            after.shop_id.into(),
            after.assignee_id.into(),
            due.into(),
            replied.into(),
            (replied > due).into(),
        ];
        deferred.push(sql.into(), vals);
    }
}

/// One (shop, agent) line of outcomes: missed and all, of targets due in a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeRow {
    /// The shop.
    pub shop_id: ShopId,
    /// The agent who answered, or held it when it was missed (none: nobody).
    pub agent_id: Option<AgentId>,
    /// Targets missed.
    pub breached: i64,
    /// Targets met or missed.
    pub total: i64,
}

/// The outcomes of targets of `shops` due in `[from, to)` by `now`, per shop and agent
/// (only `agent`'s when given): first replies (met or missed) from
/// `service_level_outcomes (shop_id, due_at)`, and targets missed unanswered (due before
/// `now`) from `conversations (shop_id, sla_due_at)`, by the agent holding them.
pub async fn counts(
    store: &Store, shops: &[ShopId], (from, to): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>, agent: Option<AgentId>,
) -> CoreResult<Vec<OutcomeRow>> {
    if shops.is_empty() {
        return Ok(vec![]);
    }
    let answered = "SELECT shop_id, agent_id, CAST(SUM(breached) AS BIGINT) AS breached, \
         CAST(COUNT(*) AS BIGINT) AS total FROM service_level_outcomes \
         WHERE due_at >= $1 AND due_at < $2";
    let unanswered = "SELECT shop_id, assignee_id AS agent_id, CAST(COUNT(*) AS BIGINT) AS breached, \
         CAST(COUNT(*) AS BIGINT) AS total FROM conversations \
         WHERE sla_due_at IS NOT NULL AND sla_due_at >= $1 AND sla_due_at < $2";
    let mut out: Vec<OutcomeRow> = Vec::new();
    for (sql, agent_col, upto) in
        [(answered, "agent_id", to), (unanswered, "assignee_id", to.min(now))]
    {
        if upto <= from {
            continue;
        }
        let mut vals: Vec<Val> = vec![from.into(), upto.into()];
        let mut sql = format!("{sql} AND shop_id IN ({})", list_placeholders(shops.len(), 3));
        vals.extend(shops.iter().map(|s| Val::from(*s)));
        if let Some(agent) = agent {
            vals.push(agent.into());
            sql.push_str(&format!(" AND {agent_col} = ${}", vals.len()));
        }
        sql.push_str(&format!(" GROUP BY shop_id, {agent_col}"));
        for r in store.rows(&sql, vals).await? {
            let row = OutcomeRow {
                shop_id: r.col("shop_id")?,
                agent_id: r.col("agent_id")?,
                breached: r.int_col("breached")?,
                total: r.int_col("total")?,
            };
            match out.iter_mut().find(|o| o.shop_id == row.shop_id && o.agent_id == row.agent_id) {
                Some(o) => {
                    o.breached += row.breached;
                    o.total += row.total;
                }
                None => out.push(row),
            }
        }
    }
    out.sort_by(|a, b| {
        (a.shop_id.to_string(), a.agent_id.map(|x| x.to_string()))
            .cmp(&(b.shop_id.to_string(), b.agent_id.map(|x| x.to_string())))
    });
    Ok(out)
}
