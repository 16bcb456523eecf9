//! Reading the inbox: the conversation list with its filters, two sorts, search and
//! keyset cursors; the per-filter counts (read from the maintained counters, never by
//! counting conversations); and a conversation's messages, newest page first.

use crate::clock::to_millis;
use crate::domain::counters::{FilterCounts, contributions, is_assignee};
use crate::domain::ids::*;
use crate::domain::listing::*;
use crate::domain::model::*;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::conversation_list::{self, ListSpec};
use crate::storage::messages::{self, PageFrom};
use crate::storage::{conversations, policy_overrides, shops};
use serde::Serialize;
use std::collections::BTreeMap;

/// One page of conversations.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationPage {
    /// The conversations, each with what the platform's rules allow in it now.
    pub items: Vec<ConversationItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Counts of every filter over the visible shops (narrowed by `shop_id`/`platform`).
    pub counts: FilterCounts,
    /// The same counts restricted to conversations assigned to me.
    pub mine: FilterCounts,
    /// How many conversations match the filters and search, over every page: given when
    /// asked (`total=true`) or when filtering by time, agent or buyer (DY-HIST-1). A
    /// filter the inbox's counters do not hold is counted up to [`TOTAL_CAP`] only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// More than `total` conversations match: counting stopped at [`TOTAL_CAP`].
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_more: bool,
}

/// How far a filtered list is counted: beyond it, the page says "more than 1,000". An
/// agent narrowing a history learns as much from it as from an exact figure, and
/// counting every match of a broad filter (a last name thousands of buyers share, a
/// period holding 100,000 conversations) was most of such a page's time.
pub const TOTAL_CAP: i64 = 1_000;

/// A conversation of the list with what the rules allow in it now, so a user interface
/// can grey out the reply box before anyone types.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationItem {
    /// The conversation.
    #[serde(flatten)]
    pub conversation: Conversation,
    /// The buyer's nickname.
    pub buyer_nickname: String,
    /// What is allowed now.
    pub allowed: super::actions::Allowed,
}

impl std::ops::Deref for ConversationItem {
    type Target = Conversation;
    fn deref(&self) -> &Conversation {
        &self.conversation
    }
}

/// The counts of one shop and in total (ALL-UNREAD-1, ALL-SHOP-1).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopCounts {
    /// Per shop.
    pub shops: BTreeMap<String, FilterCounts>,
    /// Over every visible shop.
    pub total: FilterCounts,
}

/// A page of messages, oldest first.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePage {
    /// The messages, oldest first.
    pub items: Vec<Message>,
    /// Pass as `before` for older messages; absent when there are none.
    pub prev_cursor: Option<String>,
    /// Pass as `after` later to get what arrived since.
    pub next_cursor: Option<String>,
    /// The page's messages sent despite a compliance warning, with the policies the
    /// agent acknowledged.
    pub policy_overrides: Vec<crate::domain::compliance::PolicyOverride>,
}

/// One conversation with its buyer, the buyer's orders, and what the rules allow now.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationView {
    /// The conversation.
    pub conversation: Conversation,
    /// The buyer.
    pub buyer: Buyer,
    /// The buyer's orders in this shop, newest first.
    pub orders: Vec<Order>,
    /// What the platform's rules allow now (a reply box can be greyed out from it).
    pub allowed: super::actions::Allowed,
}

impl Inbox {
    /// One conversation the viewer may see, with its buyer, orders and what is allowed.
    pub async fn conversation_view(
        &self, viewer: &Viewer, id: ConversationId,
    ) -> CoreResult<ConversationView> {
        let conversation = self.conversation(viewer, id).await?;
        let buyer = self.buyer(viewer, conversation.buyer_id).await?;
        let orders = self.buyer_orders(viewer, conversation.buyer_id).await?;
        let allowed = self.allowed(&conversation).await?;
        Ok(ConversationView { conversation, buyer, orders, allowed })
    }

    /// The shops in scope of a list: visible, narrowed by shop and platform.
    async fn scope(
        &self, viewer: &Viewer, shop: Option<ShopId>, platform: Option<&str>,
    ) -> CoreResult<Vec<ShopId>> {
        if let Some(s) = shop
            && !viewer.can_see(s)
        {
            return Err(CoreError::NotFound("shop"));
        }
        if let Some(p) = platform {
            shopmux_contract::Platform::new(p)
                .map_err(|e| CoreError::invalid("platform", e.to_string()))?;
        }
        let mut scope: Vec<ShopId> = match platform {
            Some(p) => shops::ids_of_seller(&self.store, viewer.agent.seller_id, Some(p)).await?,
            None => viewer.visible_shops.iter().copied().collect(),
        };
        scope.retain(|s| viewer.can_see(*s) && shop.is_none_or(|only| only == *s));
        scope.sort();
        Ok(scope)
    }

    /// The "expiring soon" cutoffs now, per platform that has the rule (TT-LIST-2).
    fn expiry_cutoffs(&self) -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
        let now = self.clock.now();
        self.registry
            .rule_sets()
            .filter_map(|r| {
                let after = r.expiring.as_ref()?.after;
                let cutoff = now - chrono::Duration::seconds(after.as_secs() as i64);
                Some((r.platform.as_str().to_owned(), cutoff))
            })
            .collect()
    }

    /// The conversation list.
    pub async fn list_conversations(
        &self, viewer: &Viewer, q: &ConversationQuery,
    ) -> CoreResult<ConversationPage> {
        let limit = page_size(q.limit)?;
        let sort = q.sort.unwrap_or_default();
        let search = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if search.is_some_and(|t| t.chars().count() > 200) {
            return Err(CoreError::invalid("q", "must be at most 200 characters"));
        }
        let buyer = q.buyer.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if buyer.is_some_and(|t| t.chars().count() > 200) {
            return Err(CoreError::invalid("buyer", "must be at most 200 characters"));
        }
        crate::domain::ratings::check_range(q.from, q.to)?;
        let counted = q.total == Some(true) || q.filters_history();
        let after = q.cursor.as_deref().map(|c| decode_cursor("cursor", c)).transpose()?;
        let scope = self.scope(viewer, q.shop_id, q.platform.as_deref()).await?;
        let (counts, mine) = self.filter_counts(viewer, &scope).await?;
        if scope.is_empty() {
            let (items, next_cursor, total) = (vec![], None, counted.then_some(0));
            let total_more = false;
            return Ok(ConversationPage { items, next_cursor, counts, mine, total, total_more });
        }
        let all_visible = viewer.is_owner() && q.shop_id.is_none() && q.platform.is_none();
        let cutoffs = self.expiry_cutoffs();
        let spec = ListSpec {
            seller: viewer.agent.seller_id,
            shops: (!all_visible).then_some(scope.as_slice()),
            status: q.status.unwrap_or_default(),
            assignee: (q.mine == Some(true)).then_some(viewer.agent.id),
            agent: q.agent_id,
            unassigned: q.unassigned == Some(true),
            unread: q.unread == Some(true),
            unreplied: q.unreplied == Some(true),
            flag: q.flag,
            expiring: (q.expiring == Some(true)).then_some(cutoffs.as_slice()),
            has_order: q.has_order == Some(true),
            search,
            from: q.from,
            to: q.to,
            buyer,
            topic: q.topic,
            sort,
            after,
            limit: limit + 1,
        };
        // Counters are exact at any size; a count stops past the cap.
        let (total, total_more) = match (counted, total_of_status(&spec, &counts, &mine)) {
            (true, Some(n)) => (Some(n), false),
            (true, None) => {
                let n = conversation_list::count(&self.store, &spec, TOTAL_CAP).await?;
                (Some(n.min(TOTAL_CAP)), n > TOTAL_CAP)
            }
            (false, _) => (None, false),
        };
        let (mut items, mut names): (Vec<Conversation>, Vec<String>) =
            conversation_list::page(&self.store, &spec).await?.into_iter().unzip();
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|c| {
                let key = match sort {
                    SortOrder::Latest => to_millis(c.last_message_at),
                    SortOrder::Waiting => crate::storage::rows::wait_rank(c),
                    SortOrder::Urgent => crate::storage::rows::breach_rank(c),
                };
                encode_cursor(key, &c.id.to_string())
            })
        } else {
            None
        };
        names.truncate(items.len());
        let allowed = self.allowed_many(&items).await?;
        let items = items
            .into_iter()
            .zip(names)
            .zip(allowed)
            .map(|((conversation, buyer_nickname), allowed)| ConversationItem {
                conversation,
                buyer_nickname,
                allowed,
            })
            .collect();
        Ok(ConversationPage { items, next_cursor, counts, mine, total, total_more })
    }

    async fn filter_counts(
        &self, viewer: &Viewer, scope: &[ShopId],
    ) -> CoreResult<(FilterCounts, FilterCounts)> {
        let mut all = FilterCounts::default();
        let mut mine = FilterCounts::default();
        for (_, assignee, bucket, n) in conversations::counter_rows(&self.store, scope).await? {
            all.add(&bucket, n);
            if is_assignee(&assignee, viewer.agent.id) {
                mine.add(&bucket, n);
            }
        }
        let cutoffs = self.expiry_cutoffs();
        if scope.is_empty() || cutoffs.is_empty() {
            return Ok((all, mine));
        }
        for (assignee, n) in
            conversation_list::expiring_by_assignee(&self.store, scope, &cutoffs).await?
        {
            all.expiring += n;
            if assignee.is_some_and(|a| is_assignee(&a, viewer.agent.id)) {
                mine.expiring += n;
            }
        }
        Ok((all, mine))
    }

    /// Counts per visible shop and in total.
    pub async fn shop_counts(&self, viewer: &Viewer) -> CoreResult<ShopCounts> {
        let scope = self.scope(viewer, None, None).await?;
        let mut per_shop: BTreeMap<String, FilterCounts> =
            scope.iter().map(|s| (s.to_string(), FilterCounts::default())).collect();
        let mut total = FilterCounts::default();
        for (shop, _, bucket, n) in conversations::counter_rows(&self.store, &scope).await? {
            per_shop.entry(shop.to_string()).or_default().add(&bucket, n);
            total.add(&bucket, n);
        }
        Ok(ShopCounts { shops: per_shop, total })
    }

    /// Recounts every counter of a shop from the conversations (for checks and repair).
    pub async fn recount(&self, shop: ShopId) -> CoreResult<Vec<(String, String, i64)>> {
        let mut sum: BTreeMap<(String, String), i64> = BTreeMap::new();
        for c in conversations::all_of_shop(&self.store, shop).await? {
            for (k, n) in contributions(&c) {
                *sum.entry((k.assignee, k.bucket)).or_default() += n;
            }
        }
        Ok(sum.into_iter().filter(|(_, n)| *n != 0).map(|((a, b), n)| (a, b, n)).collect())
    }

    /// The maintained counters of a shop, in the same shape as [`Inbox::recount`].
    pub async fn stored_counters(&self, shop: ShopId) -> CoreResult<Vec<(String, String, i64)>> {
        let mut rows: Vec<(String, String, i64)> =
            conversations::counter_rows(&self.store, &[shop])
                .await?
                .into_iter()
                .map(|(_, a, b, n)| (a, b, n))
                .collect();
        rows.sort();
        Ok(rows)
    }

    /// A page of a conversation's messages.
    pub async fn messages(
        &self, viewer: &Viewer, id: ConversationId, q: &MessageQuery,
    ) -> CoreResult<MessagePage> {
        let limit = page_size(q.limit)?;
        self.conversation(viewer, id).await?;
        let from = match (&q.before, &q.after) {
            (Some(_), Some(_)) => {
                return Err(CoreError::invalid("after", "give `before` or `after`, not both"));
            }
            (Some(c), None) => {
                let (t, m) = decode_cursor("before", c)?;
                PageFrom::Before(t, m)
            }
            (None, Some(c)) => {
                let (t, m) = decode_cursor("after", c)?;
                PageFrom::After(t, m)
            }
            (None, None) => PageFrom::Newest,
        };
        let forward = matches!(from, PageFrom::After(..));
        let mut items = messages::page(&self.store, id, &from, limit + 1).await?;
        let more = items.len() > limit;
        items.truncate(limit);
        if !forward {
            items.reverse();
        }
        let cursor_of = |m: &Message| encode_cursor(to_millis(m.created_at), &m.id.to_string());
        let (prev_cursor, next_cursor) = if forward {
            (items.first().map(cursor_of), items.last().map(cursor_of).or_else(|| q.after.clone()))
        } else {
            (more.then(|| items.first().map(cursor_of)).flatten(), items.last().map(cursor_of))
        };
        let outbound: Vec<MessageId> =
            items.iter().filter(|m| m.direction == Direction::Out).map(|m| m.id).collect();
        let policy_overrides = policy_overrides::of_messages(&self.store, &outbound).await?;
        Ok(MessagePage { items, prev_cursor, next_cursor, policy_overrides })
    }
}

/// The count of a list filtered by its status alone (and "mine"), read from the
/// counters the page shows anyway instead of counting the rows: every status of a
/// seller is 100,000 conversations to count at this project's scale.
fn total_of_status(spec: &ListSpec<'_>, counts: &FilterCounts, mine: &FilterCounts) -> Option<i64> {
    if !spec.only_status() {
        return None;
    }
    let c = if spec.assignee.is_some() { mine } else { counts };
    Some(match spec.status {
        ListStatus::Open => c.open,
        ListStatus::History => c.history,
        ListStatus::Closed => c.closed,
        ListStatus::All => c.open + c.history + c.closed,
    })
}
