//! A shop's settings as data checked against its platform's rules: the automatic reply
//! (AE-AUTO-1..4), rule-duration overrides, the routing policy and queue order
//! (DY-QUEUE-2, TT-QUEUE-3), and what the inbound path needs to know of a shop.

use super::ids::{SellerId, ShopId};
use super::model::Platform;
use crate::error::{CoreError, CoreResult};
use serde::{Deserialize, Serialize};
use shopmux_contract::Span;
use shopmux_contract::content::QuickAction;
use shopmux_contract::rules::{AssignPolicy, QueueOrder, Routing, RuleSet, SpanOverrides};

/// What the inbound path needs to know of a shop.
#[derive(Clone, Debug)]
pub struct IngestShop {
    /// The shop.
    pub shop_id: ShopId,
    /// Its seller.
    pub seller_id: SellerId,
    /// Its platform.
    pub platform: Platform,
    /// Its ingest secret.
    pub secret: String,
    /// Its automatic reply, when switched on (AE-AUTO-2).
    pub auto_reply: Option<ActiveAutoReply>,
    /// Its FAQ bot and greeting, compiled, when it has either (DY-GREET-1, DY-BOT-1).
    pub bot: Option<std::sync::Arc<super::faq_bot::ShopBot>>,
    /// What its conversations' deadlines come from (rules in force, service-level target).
    pub deadlines: std::sync::Arc<super::deadlines::DeadlineSpec>,
    /// Whether its buyers' text messages wait for translation (a provider is
    /// configured): they are stored `pending` for the translation worker.
    pub translate: bool,
    /// Whether its platform records replies (the adapter declares `records_replies`):
    /// its automatic replies and bot messages are stored delivered, with no outbox entry.
    pub records_replies: bool,
    /// Its storefront widget's look and the store origins it is embedded on.
    pub widget: std::sync::Arc<super::widget_settings::WidgetSettings>,
}

/// A shop's automatic reply settings (`settings.auto_reply`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoReplySettings {
    /// Switched on.
    #[serde(default)]
    pub enabled: bool,
    /// The reply; an empty text keeps it off (AE-AUTO-2).
    #[serde(default)]
    pub text: String,
    /// Quick actions (AE-AUTO-4: 3 to 9 when there are any).
    #[serde(default)]
    pub actions: Vec<QuickAction>,
}

/// An automatic reply that is on, with when it fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveAutoReply {
    /// The reply.
    pub text: String,
    /// Its quick actions.
    pub actions: Vec<QuickAction>,
    /// It fires when the buyer sent nothing for this long (AE-AUTO-1).
    pub quiet: Span,
}

/// The automatic reply of a shop's settings, checked against its platform's rules;
/// `Some` only when it is on.
pub fn auto_reply(
    settings: &serde_json::Value, rules: &RuleSet,
) -> CoreResult<Option<ActiveAutoReply>> {
    let Some(value) = settings.get("auto_reply") else {
        return Ok(None);
    };
    let parsed: AutoReplySettings = serde_json::from_value(value.clone())
        .map_err(|e| CoreError::invalid("settings.auto_reply", e.to_string()))?;
    let Some(rule) = &rules.auto_reply else {
        return Err(CoreError::invalid(
            "settings.auto_reply",
            format!("{} has no automatic reply", rules.platform),
        ));
    };
    let n = parsed.actions.len() as u32;
    if n > 0 && !(rule.min_actions..=rule.max_actions).contains(&n) {
        return Err(CoreError::invalid(
            "settings.auto_reply.actions",
            format!(
                "{n} actions: an automatic message carries {} to {} ({})",
                rule.min_actions, rule.max_actions, rule.actions_rule
            ),
        ));
    }
    // AE-AUTO-2: on only when enabled and the text is not empty.
    if !parsed.enabled || parsed.text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(ActiveAutoReply { text: parsed.text, actions: parsed.actions, quiet: rule.quiet }))
}

/// The rule-duration overrides of a shop's settings: `{"rule_overrides": {"TT-WIN-2": "45d"}}`.
pub fn rule_overrides(settings: &serde_json::Value) -> CoreResult<SpanOverrides> {
    let Some(value) = settings.get("rule_overrides") else {
        return Ok(SpanOverrides::new());
    };
    let map = value.as_object().ok_or_else(|| {
        CoreError::invalid("settings.rule_overrides", "must be an object of rule ID → duration")
    })?;
    let mut out = SpanOverrides::new();
    for (rule, span) in map {
        let field = format!("settings.rule_overrides.{rule}");
        let text = span
            .as_str()
            .ok_or_else(|| CoreError::invalid(&field, "must be a duration like \"45d\""))?;
        out.insert(rule.clone(), text.parse::<Span>().map_err(|m| CoreError::invalid(&field, m))?);
    }
    Ok(out)
}

/// How a shop routes: its rules' routing with the shop's settings applied.
#[derive(Clone, Debug)]
pub struct ShopRouting {
    /// The shop's seller.
    pub seller_id: SellerId,
    /// The routing in force (`None`: nothing automatic).
    pub routing: Option<Routing>,
    /// Queue order (DY-QUEUE-2).
    pub order: QueueOrder,
}

/// The routing keys of a shop's settings: `routing` (a policy name) and `queue_order`.
pub fn routing_settings(
    settings: &serde_json::Value, rules: &RuleSet,
) -> CoreResult<(Option<Routing>, QueueOrder)> {
    let mut routing = rules.routing.clone();
    if let Some(v) = settings.get("routing") {
        let name = v.as_str().unwrap_or_default();
        let assign = AssignPolicy::by_name(name).ok_or_else(|| {
            CoreError::invalid(
                "settings.routing",
                format!("must be one of {}", AssignPolicy::NAMES.join(", ")),
            )
        })?;
        routing = Some(match routing {
            Some(r) => Routing { assign, ..r },
            None => Routing::only(assign),
        });
    }
    let order = match settings.get("queue_order") {
        None => QueueOrder::FirstCome,
        Some(v) => {
            let order: QueueOrder = serde_json::from_value(v.clone()).map_err(|_| {
                CoreError::invalid(
                    "settings.queue_order",
                    "must be \"first_come\" or \"last_come\"",
                )
            })?;
            let platform_fixes_it =
                rules.routing.as_ref().is_some_and(|r| r.queue_order_rule.is_none());
            if platform_fixes_it && order != QueueOrder::FirstCome {
                // rule: TT-QUEUE-3 (oldest first, not a setting on this platform)
                return Err(CoreError::invalid(
                    "settings.queue_order",
                    format!("{} always serves its queue first-come", rules.platform),
                ));
            }
            order
        }
    };
    Ok((routing, order))
}

/// The shop's time zone (`settings.time_zone`, an IANA name such as `Asia/Shanghai`):
/// where its service-data days, weeks and months start. UTC when unset.
pub fn time_zone(settings: &serde_json::Value) -> CoreResult<chrono_tz::Tz> {
    let Some(value) = settings.get("time_zone") else {
        return Ok(chrono_tz::Tz::UTC);
    };
    value.as_str().and_then(|s| s.parse::<chrono_tz::Tz>().ok()).ok_or_else(|| {
        CoreError::invalid("settings.time_zone", "must be an IANA time zone like Asia/Shanghai")
    })
}

/// The reply window a shop's response-rate figures use must be whole hours from 1 hour
/// to 7 days (TT-DATA-1: replies are kept by the hour).
pub fn check_response_windows(rules: &RuleSet) -> CoreResult<()> {
    use shopmux_contract::service_figures::FigureKind;
    for span in rules.service_data.durations(FigureKind::ResponseRate) {
        let secs = span.as_secs();
        if secs % 3600 != 0 || !(3600..=7 * 86_400).contains(&secs) {
            return Err(CoreError::invalid(
                "settings.rule_overrides",
                "a response-rate window must be whole hours, 1h to 7d",
            ));
        }
    }
    Ok(())
}
