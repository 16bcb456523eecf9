//! Service data (issue 17: TT-DATA-1..3, DY-QA-1..3): the rollups a human reply adds (in
//! the reply's transaction), the figures per shop, agent and platform for a day, week or
//! month in each shop's time zone, the rating analysis, the live push when figures
//! change (at most once a second per shop and agent), and the recompute command.
//!
//! DY-QA-1's "buyer messages left unreplied for 10 minutes" counts a wait in the period
//! it began (the buyer's first message since the last human reply), once 10 minutes
//! have passed by the clock without a human reply: answered late (a rollup, by the
//! wait's slot) or still unanswered (counted from the conversations' stored wait, an
//! indexed read). Answering a counted wait late therefore moves nothing between periods.

use crate::domain::ids::*;
use crate::domain::model::{Conversation, Shop};
use crate::domain::service_data::figures::{self, Figure, Sums};
use crate::domain::service_data::period::{self, Period, PeriodKind};
use crate::domain::service_data::replay::Replayed;
use crate::domain::service_data::tally::{self, Reply, Thresholds};
use crate::domain::service_data::{self as sd, NO_AGENT, RollupKey, Rollups};
use crate::domain::shop_settings::time_zone;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::storage::service_rollups::Asked;
use crate::storage::write::WriteTx;
use crate::storage::{ratings, service_rollups, shops};
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use shopmux_contract::RuleSet;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How figures are grouped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One row per shop.
    #[default]
    Shop,
    /// One row per agent of each shop.
    Agent,
    /// One row per platform (its shops summed, each over its own local period).
    Platform,
}

/// What figures are asked for.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct FigureQuery {
    /// day (default), week (Monday to Sunday) or month.
    pub period: Option<String>,
    /// A date in the period, in each shop's time zone (YYYY-MM-DD; default: today).
    pub date: Option<NaiveDate>,
    /// Only this shop.
    pub shop_id: Option<ShopId>,
    /// Only shops of this platform.
    pub platform: Option<String>,
    /// Only this agent (with `group=agent`).
    pub agent_id: Option<AgentId>,
    /// shop (default), agent or platform.
    pub group: Option<Grouping>,
    /// A range of local days instead of a period: the first (YYYY-MM-DD) …
    pub from: Option<NaiveDate>,
    /// … and the last, included (at most 92 days).
    pub to: Option<NaiveDate>,
}

/// One row of figures.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FigureRow {
    /// The shop (none for a platform row).
    pub shop_id: Option<ShopId>,
    /// The platform.
    pub platform: String,
    /// The agent (none for a shop or platform row).
    pub agent_id: Option<AgentId>,
    /// The shop's time zone (none for a platform row).
    pub time_zone: Option<String>,
    /// The figures the platform reports, each with its rule, period, numerator and
    /// denominator.
    pub figures: Vec<Figure>,
}

/// Figures of a grouping and period.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FigureReport {
    /// day, week or month.
    pub period: PeriodKind,
    /// How rows are grouped.
    pub group: Grouping,
    /// The rows.
    pub rows: Vec<FigureRow>,
}

/// The series a chart draws: one shop's (or agent's) figures per local day.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    /// The shop.
    pub shop_id: ShopId,
    /// Only this agent's figures (the main account, or the agent itself).
    pub agent_id: Option<AgentId>,
    /// The first local day (YYYY-MM-DD).
    pub from: NaiveDate,
    /// The last local day, included (at most 92 days in all).
    pub to: NaiveDate,
}

/// Figures per local day.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceSeries {
    /// The days, in order.
    pub days: Vec<NaiveDate>,
    /// Each day's figures (as in [`FigureRow::figures`]).
    pub figures: Vec<Vec<Figure>>,
}

/// A shop as the figures need it: its rules (overrides applied) and time zone.
struct ShopScope {
    shop: Shop,
    rules: Arc<RuleSet>,
    tz: Tz,
}

/// Which rollup table a difference is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// The 15-minute slots, against what the stored messages give.
    Slots,
    /// The UTC hours, against the sums of their slots.
    Hours,
    /// The UTC 4-hour blocks, against the sums of their slots.
    Blocks,
    /// The UTC days, against the sums of their slots.
    Days,
}

impl Table {
    /// Slots in one of its rows.
    fn unit(self) -> i64 {
        match self {
            Table::Slots => 1,
            Table::Hours => sd::SLOTS_PER_HOUR,
            Table::Blocks => sd::SLOTS_PER_BLOCK,
            Table::Days => sd::SLOTS_PER_DAY,
        }
    }
}

/// A recompute's outcome for one rollup row that differed.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    /// The shop.
    pub shop_id: ShopId,
    /// The table the row is in.
    pub table: Table,
    /// The start of the row's slot (hour, day).
    pub slot_start: chrono::DateTime<Utc>,
    /// The agent ('' none).
    pub agent_id: String,
    /// The metric.
    pub metric: String,
    /// What the rollups held (n, total).
    pub stored: (i64, i64),
    /// What the stored messages (for a day: its slots) give (n, total).
    pub recomputed: (i64, i64),
}

/// What the recompute command found (and, with `apply`, fixed).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecomputeReport {
    /// Shops looked at.
    pub shops: usize,
    /// Rollup rows compared.
    pub rows: usize,
    /// The rows that differed.
    pub differences: Vec<Difference>,
    /// Whether the recomputed rows replaced the stored ones.
    pub applied: bool,
}

impl Inbox {
    /// Adds a human reply to the rollups, in its transaction (DY-QA-1, DY-QA-2,
    /// TT-DATA-1). `before`/`after` are the conversation around the reply.
    pub(crate) async fn tally_reply(
        &self, w: &mut WriteTx<'_>, rules: &RuleSet, before: &Conversation, after: &Conversation,
        agent: AgentId, now: chrono::DateTime<Utc>,
    ) -> CoreResult<()> {
        if !tally::buyer_started(after) {
            return Ok(());
        }
        let reply = Reply {
            conversation: after,
            agent,
            at: now,
            wait_start: before.reply_wait_since,
            first: before.last_agent_reply_at.is_none(),
        };
        service_rollups::add(w, &tally::reply(&reply, &Thresholds::of(rules))).await
    }

    /// Tells live streams a shop's (and an agent's) figures changed, at most once a
    /// second per shop and agent (by the inbox clock), so a burst pushes one event.
    pub(crate) fn service_data_changed(
        &self, shop: ShopId, agent: Option<AgentId>, conversation: ConversationId,
    ) {
        let now = self.clock.now();
        let event = InboxEvent::ServiceDataChanged {
            shop_id: shop,
            agent_id: agent,
            conversation_id: conversation,
        };
        let mut pushes = self.service_pushes.lock().unwrap_or_else(|e| e.into_inner());
        if pushes.len() > 10_000 {
            pushes.retain(|_, (at, pending)| *pending || now - *at < chrono::Duration::seconds(1));
        }
        match pushes.get_mut(&(shop, agent)) {
            // A change inside the second: one trailing push at its end, so the last
            // change of a burst is never missed.
            Some((at, pending)) if now - *at < chrono::Duration::seconds(1) => {
                if *pending {
                    return;
                }
                *pending = true;
                let (events, pushes) = (self.events.clone(), self.service_pushes.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    if let Some(entry) =
                        pushes.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&(shop, agent))
                    {
                        entry.1 = false;
                    }
                    events.publish(event);
                });
            }
            _ => {
                pushes.insert((shop, agent), (now, false));
                drop(pushes);
                self.events.publish(event);
            }
        }
    }

    async fn scopes(&self, shops: Vec<Shop>) -> CoreResult<Vec<ShopScope>> {
        shops
            .into_iter()
            .map(|shop| {
                let rules = self.rules_in_force(&shop.platform, &shop.settings)?;
                let tz = time_zone(&shop.settings)?;
                Ok(ShopScope { shop, rules, tz })
            })
            .collect()
    }

    /// The shops a figure query covers, in the viewer's scope.
    async fn query_scopes(&self, viewer: &Viewer, q: &FigureQuery) -> CoreResult<Vec<ShopScope>> {
        let mut shops = shops::of_seller(&self.store, viewer.agent.seller_id).await?;
        shops.retain(|s| viewer.can_see(s.id));
        if let Some(id) = q.shop_id {
            if !viewer.can_see(id) {
                return Err(CoreError::NotFound("shop"));
            }
            shops.retain(|s| s.id == id);
        }
        if let Some(p) = &q.platform {
            shops.retain(|s| s.platform.as_str() == p);
        }
        self.scopes(shops).await
    }

    /// Figures per shop, agent or platform for a day, week or month (the main account;
    /// TT-DATA-1..3, DY-QA-1, DY-QA-2, DY-QA-3's ratings and rating rate).
    pub async fn service_figures(
        &self, viewer: &Viewer, q: &FigureQuery,
    ) -> CoreResult<FigureReport> {
        viewer.require_owner()?;
        let scopes = self.query_scopes(viewer, q).await?;
        self.figures_of(&scopes, q, q.agent_id).await
    }

    /// The viewer's own figures in each shop it sees (the reception data panel).
    pub async fn my_service_figures(
        &self, viewer: &Viewer, q: &FigureQuery,
    ) -> CoreResult<FigureReport> {
        let scopes = self.query_scopes(viewer, q).await?;
        let q = FigureQuery { group: Some(Grouping::Agent), ..q.clone() };
        self.figures_of(&scopes, &q, Some(viewer.agent.id)).await
    }

    async fn figures_of(
        &self, scopes: &[ShopScope], q: &FigureQuery, agent: Option<AgentId>,
    ) -> CoreResult<FigureReport> {
        let kind: PeriodKind = q.period.as_deref().unwrap_or("day").parse()?;
        let group = q.group.unwrap_or_default();
        let only = agent.map(|a| a.to_string());
        let mut rows = Vec::new();
        let mut platforms: BTreeMap<String, Vec<(&ShopScope, Period, RangeSums)>> = BTreeMap::new();
        for s in scopes {
            let p = self.period_of(q, kind, s.tz)?;
            // Only the agent grouping narrows to one agent.
            let agent = only.as_deref().filter(|_| group == Grouping::Agent);
            let sums = self.range_sums(s, p, agent).await?;
            match group {
                Grouping::Shop => rows.push(row(s, None, shop_figures(s, p, &sums, None))),
                Grouping::Platform => {
                    let platform = s.shop.platform.as_str().to_owned();
                    platforms.entry(platform).or_default().push((s, p, sums));
                }
                Grouping::Agent => {
                    for a in agents_in(&sums, only.as_deref()) {
                        let figures = shop_figures(s, p, &sums, Some(&a));
                        rows.push(row(s, a.parse().ok(), figures));
                    }
                }
            }
        }
        for (platform, shops) in platforms {
            let figures = self.platform_figures(&shops);
            rows.push(FigureRow {
                shop_id: None,
                platform,
                agent_id: None,
                time_zone: None,
                figures,
            });
        }
        Ok(FigureReport { period: kind, group, rows })
    }

    /// A platform's figures: its shops' sums added, each over its own local period.
    fn platform_figures(&self, shops: &[(&ShopScope, Period, RangeSums)]) -> Vec<Figure> {
        let Some((first, _, _)) = shops.first() else { return vec![] };
        let rules = self.rule_set(&first.shop.platform);
        let mut out = Vec::new();
        for f in &rules.service_data.figures {
            let mut sums = Sums::default();
            let mut span: Option<Period> = None;
            for (s, p, by_range) in shops {
                let covered = figures::covered(f, *p, s.tz);
                let Some(per_agent) = by_range.get(&slots(covered)) else { continue };
                if too_long(f, covered) {
                    continue;
                }
                sums.merge(&total(per_agent));
                span = Some(span.map_or(covered, |x| Period {
                    from: x.from.min(covered.from),
                    to: x.to.max(covered.to),
                }));
            }
            if let Some(span) = span {
                out.push(figures::figure(f, span, &sums, false));
            }
        }
        out
    }

    /// The period a query asks for in a shop's time zone: a range of days, or the day,
    /// week or month containing its date (today by default).
    fn period_of(&self, q: &FigureQuery, kind: PeriodKind, tz: Tz) -> CoreResult<Period> {
        match (q.from, q.to) {
            (Some(from), Some(to)) => {
                if (to - from).num_days() > 91 {
                    return Err(CoreError::invalid("to", "a range covers at most 92 days"));
                }
                period::days(from, to, tz)
            }
            (None, None) => {
                let date = q.date.unwrap_or_else(|| period::local_date(self.clock.now(), tz));
                Ok(period::containing(kind, date, tz))
            }
            _ => Err(CoreError::invalid("to", "give both from and to, or neither")),
        }
    }

    /// DY-QA-3's rating analysis: ratings, satisfaction and rating rate per agent over
    /// the local days `from` to `to`, at most as long as the shops' rules allow (30
    /// days); the ratings themselves are listed by [`Inbox::ratings`] with its filters.
    pub async fn rating_analysis(
        &self, viewer: &Viewer, q: &FigureQuery,
    ) -> CoreResult<FigureReport> {
        // rule: DY-QA-3 (any period of at most 30 days)
        let (Some(from), Some(to)) = (q.from, q.to) else {
            return Err(CoreError::invalid("from", "give the period's first and last day"));
        };
        let scopes = self.query_scopes(viewer, q).await?;
        let longest = scopes
            .iter()
            .flat_map(|s| s.rules.service_data.figures.iter().filter_map(|f| f.longest))
            .map(|l| l.as_secs() / 86_400)
            .min();
        if let Some(days) = longest
            && (to - from).num_days() + 1 > days as i64
        {
            return Err(CoreError::invalid(
                "to",
                format!("a rating analysis covers at most {days} days"),
            ));
        }
        let q = FigureQuery { group: Some(Grouping::Agent), ..q.clone() };
        let agent = if viewer.is_owner() { q.agent_id } else { Some(viewer.agent.id) };
        self.figures_of(&scopes, &q, agent).await
    }

    /// A shop's sums for each slot range its figures cover over a period, per agent
    /// (only `agent`'s when given): every distinct range in one read.
    async fn range_sums(
        &self, s: &ShopScope, p: Period, agent: Option<&str>,
    ) -> CoreResult<RangeSums> {
        let mut ranges: Vec<(i64, i64)> = Vec::new();
        for f in &s.rules.service_data.figures {
            let covered = figures::covered(f, p, s.tz);
            if !too_long(f, covered) && !ranges.contains(&slots(covered)) {
                ranges.push(slots(covered));
            }
        }
        let sums = self.sums(s, &ranges, agent).await?;
        Ok(ranges.into_iter().zip(sums).collect())
    }

    /// A shop's rollups over slot ranges per agent, with the waits still unanswered that
    /// began in each and have passed a threshold by now (DY-QA-1), in one read.
    async fn sums(
        &self, s: &ShopScope, ranges: &[(i64, i64)], agent: Option<&str>,
    ) -> CoreResult<Vec<AgentSums>> {
        let now = self.clock.now().timestamp_millis();
        let thresholds = Thresholds::of(&s.rules).unreplied_secs;
        let asked: Vec<Asked> = ranges
            .iter()
            .map(|&range| Asked {
                slots: range,
                // Began at or before now − threshold: that much unanswered already.
                waits: thresholds
                    .iter()
                    .map(|&secs| {
                        let to = (range.1 * sd::SLOT_MS).min(now - secs as i64 * 1000 + 1);
                        (sd::unreplied(secs), (range.0 * sd::SLOT_MS, to))
                    })
                    .collect(),
            })
            .collect();
        let rows = service_rollups::sums(&self.store, s.shop.id, &asked, agent).await?;
        Ok(rows
            .into_iter()
            .map(|rows| {
                let mut out = AgentSums::new();
                for (a, metric, t) in rows {
                    out.entry(a.clone()).or_default().add(&a, &metric, t);
                }
                out
            })
            .collect())
    }

    /// One shop's (or agent's) figures for each local day of a range (at most 92 days):
    /// the series the Service data page charts. Another agent's: the main account only.
    pub async fn service_series(
        &self, viewer: &Viewer, q: &SeriesQuery,
    ) -> CoreResult<ServiceSeries> {
        if q.agent_id != Some(viewer.agent.id) {
            viewer.require_owner()?;
        }
        if q.to < q.from || (q.to - q.from).num_days() > 91 {
            return Err(CoreError::invalid("to", "a series covers 1 to 92 days"));
        }
        let fq = FigureQuery { shop_id: Some(q.shop_id), ..Default::default() };
        let scopes = self.query_scopes(viewer, &fq).await?;
        let s = scopes.first().ok_or(CoreError::NotFound("shop"))?;
        let agent = q.agent_id.map(|a| a.to_string());
        // Each local day is read once, from the first day a lookback reaches (TT-DATA-1's
        // 7 days); a figure covering several days adds theirs.
        let reach = s.rules.service_data.figures.iter().filter_map(|f| f.over);
        let back = reach.map(|o| o.as_secs().div_ceil(86_400)).max().unwrap_or(1);
        let first = q.from - chrono::Days::new(back.saturating_sub(1));
        let periods: Vec<Period> = first
            .iter_days()
            .take_while(|d| *d <= q.to)
            .map(|day| period::containing(PeriodKind::Day, day, s.tz))
            .collect();
        let ranges: Vec<(i64, i64)> = periods.iter().map(|p| slots(*p)).collect();
        let sums = self.sums(s, &ranges, agent.as_deref()).await?;
        let days: Vec<(Period, Sums)> = periods
            .into_iter()
            .zip(sums)
            .map(|(p, sums)| (p, scope_sums(&sums, agent.as_deref())))
            .collect();
        let mut out = ServiceSeries { days: vec![], figures: vec![] };
        for (day, (p, _)) in first.iter_days().zip(&days).filter(|(d, _)| *d >= q.from) {
            let mut figures = Vec::new();
            for f in &s.rules.service_data.figures {
                let covered = figures::covered(f, *p, s.tz);
                if too_long(f, covered) {
                    continue;
                }
                let sums = match days_summed(&days, covered) {
                    Some(sums) => sums,
                    None => {
                        let read = self.sums(s, &[slots(covered)], agent.as_deref()).await?;
                        scope_sums(&read[0], agent.as_deref())
                    }
                };
                figures.push(figures::figure(f, covered, &sums, agent.is_some()));
            }
            out.days.push(day);
            out.figures.push(figures);
        }
        Ok(out)
    }

    /// Recomputes the rollups of the local days `from` to `to` (UTC days; a shop's own
    /// zone does not matter: whole UTC days are whole slots) from the stored
    /// conversations, messages and ratings, and reports every row that differs; with
    /// `apply`, the recomputed rows replace the stored ones. The waits still unanswered
    /// (DY-QA-1) are compared too — replayed from the messages against what the live
    /// figures count from the conversations — but they are no rollups: `apply` leaves
    /// them, and a difference there is reported only.
    pub async fn recompute_service_data(
        &self, from: NaiveDate, to: NaiveDate, shop: Option<ShopId>, apply: bool,
    ) -> CoreResult<RecomputeReport> {
        let p = period::days(from, to, Tz::UTC)?;
        let range = slots(p);
        let shop_ids = match shop {
            Some(s) => vec![s],
            None => service_rollups::all_shops(&self.store).await?,
        };
        let mut report =
            RecomputeReport { shops: shop_ids.len(), applied: apply, ..Default::default() };
        for id in shop_ids {
            let shop = shops::get(&self.store, id).await?.ok_or(CoreError::NotFound("shop"))?;
            let scope = self.scopes(vec![shop]).await?.remove(0);
            // Applying holds the write transaction (on SQLite the write gate) while it
            // reads, so no event slips between the replay and the replacement there.
            let mut w = if apply { Some(self.store.begin_write().await?) } else { None };
            let (fresh, live) = self.replay_shop(&scope, p).await?;
            let stored = service_rollups::units_in(&self.store, id, 1, range).await?;
            // The hour, block and day tables must hold their slots' sums.
            for (unit, table) in [
                (sd::SLOTS_PER_HOUR, Table::Hours),
                (sd::SLOTS_PER_BLOCK, Table::Blocks),
                (sd::SLOTS_PER_DAY, Table::Days),
            ] {
                let units = (range.0 / unit, range.1 / unit);
                let kept = service_rollups::units_in(&self.store, id, unit, units).await?;
                report.differences.extend(differences(&kept, &sd::by_unit(&stored, unit), table));
            }
            let (mut all_stored, mut all_fresh) = (stored, fresh.settled.clone());
            add_all(&mut all_stored, live);
            add_all(&mut all_fresh, fresh.pending);
            report.rows += all_stored.len().max(all_fresh.len());
            report.differences.extend(differences(&all_stored, &all_fresh, Table::Slots));
            if let Some(mut w) = w.take() {
                service_rollups::replace(&mut w, id, days(range), &fresh.settled).await?;
                w.commit().await?;
            }
        }
        Ok(report)
    }

    /// A shop's rollups over a period rebuilt from what is stored, as of now: the
    /// replayed rollups and unanswered waits (from the messages), and the unanswered
    /// waits the live figures count (from the conversations' stored waits).
    async fn replay_shop(&self, s: &ShopScope, p: Period) -> CoreResult<(Replayed, Rollups)> {
        let range = slots(p);
        let now = self.clock.now();
        let thresholds = Thresholds::of(&s.rules);
        let conversations =
            service_rollups::conversations_touching(&self.store, s.shop.id, p.from, p.to).await?;
        let ids: Vec<ConversationId> = conversations.iter().map(|c| c.id).collect();
        let mut messages = service_rollups::messages_of(&self.store, &ids).await?;
        let (mut out, mut live) = (Replayed::default(), Rollups::new());
        let in_range =
            |r: Rollups| r.into_iter().filter(|(k, _)| (range.0..range.1).contains(&k.slot));
        for c in &conversations {
            let m = messages.remove(&c.id).unwrap_or_default();
            let replayed = sd::replay::conversation(c, &m, &thresholds, now);
            add_all(&mut out.settled, in_range(replayed.settled));
            add_all(&mut out.pending, in_range(replayed.pending));
            if let Some(wait) = c.reply_wait_since {
                add_all(&mut live, in_range(tally::unanswered(c, wait, now, &thresholds)));
            }
        }
        for r in ratings::latest_in(&self.store, s.shop.id, p.from, p.to).await? {
            tally::rating(&r, 1, &mut out.settled);
        }
        Ok((out, live))
    }
}

/// Sums per agent ('' none).
type AgentSums = HashMap<String, Sums>;

/// A shop's sums per slot range its figures cover.
type RangeSums = HashMap<(i64, i64), AgentSums>;

/// The sums of every agent (and of none) added: a shop's.
fn total(per_agent: &AgentSums) -> Sums {
    per_agent.values().fold(Sums::default(), |mut all, s| {
        all.merge(s);
        all
    })
}

/// The agents with figures in a shop's sums, in order (or just `only`).
fn agents_in(sums: &RangeSums, only: Option<&str>) -> Vec<String> {
    if let Some(a) = only {
        return vec![a.to_owned()];
    }
    let mut agents: Vec<String> =
        sums.values().flat_map(|m| m.keys()).filter(|a| *a != NO_AGENT).cloned().collect();
    agents.sort();
    agents.dedup();
    agents
}

/// A shop's figures for a period (an agent's when given) from its sums.
fn shop_figures(s: &ShopScope, p: Period, sums: &RangeSums, agent: Option<&str>) -> Vec<Figure> {
    let mut out = Vec::new();
    for f in &s.rules.service_data.figures {
        let covered = figures::covered(f, p, s.tz);
        let Some(per_agent) = sums.get(&slots(covered)).filter(|_| !too_long(f, covered)) else {
            continue;
        };
        out.push(figures::figure(f, covered, &scope_sums(per_agent, agent), agent.is_some()));
    }
    out
}

/// The sums of an agent (or, with none, of all: a shop's).
fn scope_sums(per_agent: &AgentSums, agent: Option<&str>) -> Sums {
    match agent {
        Some(a) => per_agent.get(a).cloned().unwrap_or_default(),
        None => total(per_agent),
    }
}

/// A period's sums added from the days read, when it is a run of them.
fn days_summed(days: &[(Period, Sums)], p: Period) -> Option<Sums> {
    let first = days.iter().position(|(d, _)| d.from == p.from)?;
    let last = days.iter().position(|(d, _)| d.to == p.to)?;
    (first <= last).then(|| {
        days[first..=last].iter().fold(Sums::default(), |mut all, (_, s)| {
            all.merge(s);
            all
        })
    })
}

/// A slot range of whole UTC days as days.
fn days((from, to): (i64, i64)) -> (i64, i64) {
    (from.div_euclid(sd::SLOTS_PER_DAY), to.div_euclid(sd::SLOTS_PER_DAY))
}

/// Adds rollup rows to rollups.
fn add_all(into: &mut Rollups, rows: impl IntoIterator<Item = (RollupKey, sd::Tally)>) {
    for (k, t) in rows {
        sd::add(into, k, t, 1);
    }
}

/// Whether a period is longer than a figure may be asked for (a month's DY-QA-3; an
/// hour of slack for a daylight-saving day).
fn too_long(f: &shopmux_contract::service_figures::ServiceFigure, p: Period) -> bool {
    f.longest.is_some_and(|l| (p.to - p.from).num_seconds() > l.as_secs() as i64 + 3600)
}

/// A period's slot range.
fn slots(p: Period) -> (i64, i64) {
    (sd::slot_ceil(p.from), sd::slot_ceil(p.to))
}

fn row(s: &ShopScope, agent: Option<AgentId>, figures: Vec<Figure>) -> FigureRow {
    FigureRow {
        shop_id: Some(s.shop.id),
        platform: s.shop.platform.as_str().to_owned(),
        agent_id: agent,
        time_zone: Some(s.tz.name().to_owned()),
        figures,
    }
}

/// Compares two sets of rollup rows of one table (a day's key holds its day).
fn differences(stored: &Rollups, fresh: &Rollups, table: Table) -> Vec<Difference> {
    let mut keys: Vec<&RollupKey> = stored.keys().chain(fresh.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let a = stored.get(k).copied().unwrap_or_default();
            let b = fresh.get(k).copied().unwrap_or_default();
            (a != b).then(|| Difference {
                shop_id: k.shop_id,
                table,
                slot_start: crate::clock::from_millis(k.slot * table.unit() * sd::SLOT_MS),
                agent_id: k.agent.clone(),
                metric: k.metric.clone(),
                stored: (a.n, a.total),
                recomputed: (b.n, b.total),
            })
        })
        .collect()
}
