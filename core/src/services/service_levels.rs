//! Service-level targets as a figure: per shop and agent, how many first replies missed
//! the shop's "first reply within N minutes" over a period (numerator), out of how many
//! targets fell due in it (denominator). A sub-account sees its own line only.

use crate::domain::deadlines::ServiceLevel;
use crate::domain::ids::*;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::service_levels::{self, OutcomeRow};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest period a report covers.
pub const MAX_PERIOD_DAYS: i64 = 92;

/// Which targets a report counts.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ServiceLevelQuery {
    /// Only this shop.
    pub shop_id: Option<ShopId>,
    /// Only this agent's line (a sub-account always gets its own).
    pub agent_id: Option<AgentId>,
    /// Targets due at or after this time (RFC 3339; default: 7 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Targets due before this time (RFC 3339; default: now). At most 92 days after `from`.
    pub to: Option<DateTime<Utc>>,
}

/// Missed targets out of targets due, for one agent of a shop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentServiceLevel {
    /// The agent who answered, or held the conversation when it was missed (none: nobody).
    pub agent_id: Option<AgentId>,
    /// Targets missed (the breach count).
    pub numerator: i64,
    /// Targets that fell due (met or missed).
    pub denominator: i64,
}

/// One shop's breach count.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopServiceLevel {
    /// The shop.
    pub shop_id: ShopId,
    /// Its target now (none: it has none).
    pub target: Option<ServiceLevel>,
    /// Targets missed in the period.
    pub breaches: i64,
    /// The same as `breaches`: the figure's numerator.
    pub numerator: i64,
    /// Targets that fell due in the period.
    pub denominator: i64,
    /// Per agent.
    pub agents: Vec<AgentServiceLevel>,
}

/// Breach counts over a period.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceLevelReport {
    /// Targets due at or after this.
    pub from: DateTime<Utc>,
    /// Targets due before this.
    pub to: DateTime<Utc>,
    /// Missed in all.
    pub breaches: i64,
    /// The same as `breaches`.
    pub numerator: i64,
    /// Due in all.
    pub denominator: i64,
    /// Per shop with a target or an outcome in the period.
    pub shops: Vec<ShopServiceLevel>,
}

/// The period of a query: `[from, to)`, checked.
fn period(q: &ServiceLevelQuery, now: DateTime<Utc>) -> CoreResult<(DateTime<Utc>, DateTime<Utc>)> {
    let to = q.to.unwrap_or(now);
    let from = q.from.unwrap_or(to - Duration::days(7));
    if from >= to {
        return Err(CoreError::invalid("to", "must be after `from`"));
    }
    if to - from > Duration::days(MAX_PERIOD_DAYS) {
        return Err(CoreError::invalid(
            "to",
            format!("at most {MAX_PERIOD_DAYS} days after `from`"),
        ));
    }
    Ok((from, to))
}

impl Inbox {
    /// The service-level breach counts the viewer may see.
    pub async fn service_levels(
        &self, viewer: &Viewer, q: &ServiceLevelQuery,
    ) -> CoreResult<ServiceLevelReport> {
        let now = self.clock.now();
        let (from, to) = period(q, now)?;
        if let Some(shop) = q.shop_id
            && !viewer.can_see(shop)
        {
            return Err(CoreError::NotFound("shop"));
        }
        let agent = if viewer.is_owner() { q.agent_id } else { Some(viewer.agent.id) };
        let mut scope: Vec<ShopId> = viewer
            .visible_shops
            .iter()
            .copied()
            .filter(|s| q.shop_id.is_none_or(|only| only == *s))
            .collect();
        scope.sort();
        let rows = service_levels::counts(&self.store, &scope, (from, to), now, agent).await?;
        let mut shops = Vec::new();
        for shop_id in scope {
            let target = self.deadline_spec(shop_id).await?.target;
            let lines: Vec<&OutcomeRow> = rows.iter().filter(|r| r.shop_id == shop_id).collect();
            if target.is_none() && lines.is_empty() {
                continue;
            }
            let agents: Vec<AgentServiceLevel> = lines
                .iter()
                .map(|r| AgentServiceLevel {
                    agent_id: r.agent_id,
                    numerator: r.breached,
                    denominator: r.total,
                })
                .collect();
            let breaches = agents.iter().map(|a| a.numerator).sum();
            let denominator = agents.iter().map(|a| a.denominator).sum();
            shops.push(ShopServiceLevel {
                shop_id,
                target,
                breaches,
                numerator: breaches,
                denominator,
                agents,
            });
        }
        let breaches = shops.iter().map(|s| s.breaches).sum();
        let denominator = shops.iter().map(|s| s.denominator).sum();
        Ok(ServiceLevelReport { from, to, breaches, numerator: breaches, denominator, shops })
    }
}
