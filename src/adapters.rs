//! The built-in marketplace adapters, listed once: every platform's rule set, and the
//! adapters that connect: TikTok Shop (webhooks and polling in, replies out, workbench
//! look-ups), Douyin (verified order pushes, order and product look-ups; Feige chat has
//! no open API), AliExpress (its message centre polled and answered; IM has no open
//! API) and Shopify (Admin API checks, cart/customer/order webhooks; chats go through
//! the storefront channel).

use shopmux_contract::RuleSet;
use shopmux_contract::adapter::Adapter;
use std::sync::Arc;

/// The built-in adapters that connect to their platform.
pub fn builtin_adapters() -> Vec<Arc<dyn Adapter>> {
    vec![
        Arc::new(shopmux_adapter_tiktok::adapter::TikTok),
        Arc::new(shopmux_adapter_douyin::adapter::Douyin),
        Arc::new(shopmux_adapter_aliexpress::AliExpress),
        Arc::new(shopmux_adapter_shopify::adapter::Shopify),
    ]
}

/// The rule sets of every built-in adapter.
pub fn builtin_rule_sets() -> Vec<RuleSet> {
    vec![
        shopmux_adapter_aliexpress::rule_set(),
        shopmux_adapter_douyin::rule_set(),
        shopmux_adapter_shopify::rule_set(),
        shopmux_adapter_tiktok::rule_set(),
    ]
}

/// A rule set as a table for operators (`shopmux rules show PLATFORM`): one line per
/// rule entry, with its rule ID.
pub fn rules_table(set: &RuleSet) -> String {
    use shopmux_contract::rules::{Requirement, Silent, Transition};
    use shopmux_core::rules::describe;
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut requirements = |action: &str, reqs: &[Requirement]| {
        for req in reqs {
            for (i, clause) in req.any_of.iter().enumerate() {
                let prefix = if i == 0 { "needs " } else { "  or " };
                rows.push((
                    clause.rule.clone(),
                    action.into(),
                    format!("{prefix}{}", describe(&clause.condition)),
                ));
            }
        }
    };
    requirements("reply", &set.reply);
    requirements("initiate", &set.initiate);
    if let Some(rule) = &set.initiate_from_order {
        rows.push((
            rule.clone(),
            "initiate".into(),
            "starts from one of the buyer's orders, sent as an order card".into(),
        ));
    }
    let kind_names = |kinds: &[shopmux_contract::ContentKind]| {
        kinds
            .iter()
            .map(|k| {
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(k) = &set.outbound_kinds {
        rows.push((
            k.rule.clone(),
            "agent sends".into(),
            format!("only {}", kind_names(&k.allowed)),
        ));
    }
    if let Some(k) = &set.inbound_kinds {
        rows.push((
            k.rule.clone(),
            "buyer sends".into(),
            format!("only {}", kind_names(&k.allowed)),
        ));
    }
    for t in &set.timers {
        let who = match t.silent {
            Silent::Agent => "no agent reply",
            Silent::Buyer => "buyer silence after the agent's message",
        };
        let then = match t.then {
            Transition::End => "end",
            Transition::Close => "close",
        };
        rows.push((
            t.rule.clone(),
            "timer".into(),
            format!("after {} of {who}: {then}", t.after),
        ));
    }
    if let Some(shopmux_contract::rules::TransferPolicy::HolderOrOwnerToOnline {
        who_rule,
        access_rule,
    }) = &set.transfer
    {
        rows.push((
            who_rule.clone(),
            "transfer".into(),
            "by the holder or the main account, to an online account".into(),
        ));
        rows.push((
            access_rule.clone(),
            "transfer".into(),
            "the previous sub-account loses the buyer; the main account never".into(),
        ));
    }
    if let Some(a) = &set.auto_reply {
        rows.push((
            a.trigger_rule.clone(),
            "auto-reply".into(),
            format!("sent on a buyer message after {} without one", a.quiet),
        ));
        rows.push((
            a.switch_rule.clone(),
            "auto-reply".into(),
            "on only when enabled and its text is not empty".into(),
        ));
        rows.push((
            a.stays_unread_rule.clone(),
            "auto-reply".into(),
            "the conversation stays unread and unreplied".into(),
        ));
        rows.push((
            a.actions_rule.clone(),
            "auto-reply".into(),
            format!(
                "carries {} to {} quick actions",
                a.min_actions, a.max_actions
            ),
        ));
    }
    if let Some(r) = &set.routing {
        use shopmux_contract::rules::AssignPolicy;
        match &r.assign {
            AssignPolicy::Manual { rule } => rows.push((
                rule.clone(),
                "assignment".into(),
                "by hand only, to staff with chat permission".into(),
            )),
            AssignPolicy::IdleRate { rule } => rows.push((
                rule.clone(),
                "assignment".into(),
                "available agent with the highest (max - current) / max; ties at random".into(),
            )),
            AssignPolicy::LeastLoaded { rule } => rows.push((
                rule.clone(),
                "assignment".into(),
                "available agent with spare capacity and the fewest current; ties at random".into(),
            )),
            AssignPolicy::Sticky {
                new_rule,
                returning_rule,
                within,
            } => {
                rows.push((
                    returning_rule.clone(),
                    "assignment".into(),
                    format!("the buyer's agent of the last {within} if online"),
                ));
                rows.push((
                    new_rule.clone(),
                    "assignment".into(),
                    "else a random online sub-account, else the main account".into(),
                ));
            }
        }
        if let Some(rule) = &r.single_agent_rule {
            rows.push((
                rule.clone(),
                "assignment".into(),
                "a shop with one chat account gives it everything".into(),
            ));
        }
        if let Some(rule) = &r.queue_rule {
            rows.push((
                rule.clone(),
                "queue".into(),
                "waits unassigned when nobody available has spare capacity".into(),
            ));
        }
        if let Some(rule) = &r.backfill_rule {
            rows.push((
                rule.clone(),
                "queue".into(),
                "assigned as soon as capacity appears".into(),
            ));
        }
        if let Some(rule) = &r.queue_order_rule {
            rows.push((
                rule.clone(),
                "queue".into(),
                "first-come or last-come first-served, set by the main account".into(),
            ));
        }
    }
    if let Some(w) = &set.wait_timer {
        rows.push((
            w.rule.clone(),
            "wait timer".into(),
            "from assignment to a human; restarts at each buyer message".into(),
        ));
    }
    if let Some(e) = &set.expiring {
        rows.push((
            e.rule.clone(),
            "list".into(),
            format!("expiring soon when unreplied for more than {}", e.after),
        ));
    }
    if let Some(l) = &set.limits.cart_product_name_chars {
        rows.push((
            l.rule.clone(),
            "cart event".into(),
            format!("product name shown only up to {} characters", l.max),
        ));
    }
    if let Some(l) = &set.limits.products_per_share {
        rows.push((
            l.rule.clone(),
            "agent sends".into(),
            format!("at most {} products in one share", l.max),
        ));
    }
    if let Some(rule) = &set.limits.published_products_only {
        rows.push((
            rule.clone(),
            "agent sends".into(),
            "only products published to the online store (checked with the platform)".into(),
        ));
    }
    if let Some(rule) = &set.limits.active_discount_codes_only {
        rows.push((
            rule.clone(),
            "agent sends".into(),
            "only an existing, active discount code (checked with the platform)".into(),
        ));
    }
    if let Some(rule) = &set.limits.store_wide_coupons_only {
        rows.push((
            rule.clone(),
            "agent sends".into(),
            "store-wide coupons only".into(),
        ));
    }
    if rows.is_empty() {
        return format!("{}: no rules (everything is allowed)\n", set.platform);
    }
    let mut out = format!(
        "{} rules\n{:<10} {:<12} {}\n",
        set.platform, "RULE", "ACTION", "CONDITION"
    );
    for (rule, action, what) in rows {
        out.push_str(&format!("{rule:<10} {action:<12} {what}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_rule_id_of_the_set() {
        for set in builtin_rule_sets() {
            let table = rules_table(&set);
            for id in set.rule_ids() {
                assert!(
                    table.contains(id),
                    "{} table lacks {id}:\n{table}",
                    set.platform
                );
            }
        }
    }
}
