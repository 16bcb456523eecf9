//! A platform's rule set as a table for operators (`shopmux rules show PLATFORM`): one
//! line per rule entry, with its rule ID, the action it governs and what it says.

use shopmux_contract::rules::{
    AssignPolicy, AutoReplyRule, PolicyKind, ReplyCounted, Requirement, Routing, Silent,
    TransferPolicy, Transition,
};
use shopmux_contract::{ContentKind, RuleSet};
use shopmux_core::domain::rules::describe;

/// The table's lines: (rule ID, action, what it says).
#[derive(Default)]
struct Rows(Vec<(String, String, String)>);

impl Rows {
    fn push(&mut self, rule: &str, action: &str, what: impl Into<String>) {
        self.0.push((rule.to_owned(), action.to_owned(), what.into()));
    }
}

/// The table of a rule set.
pub fn rules_table(set: &RuleSet) -> String {
    let mut rows = Rows::default();
    windows(set, &mut rows);
    kinds(set, &mut rows);
    timers(set, &mut rows);
    if let Some(TransferPolicy::HolderOrOwnerToOnline { who_rule, access_rule }) = &set.transfer {
        rows.push(who_rule, "transfer", "by the holder or the main account, to an online account");
        rows.push(
            access_rule,
            "transfer",
            "the previous sub-account loses the buyer; the main account never",
        );
    }
    if let Some(rule) = &set.automatic_greeting {
        rows.push(rule, "greeting", "the shop's greeting opens a new conversation");
    }
    if let Some(a) = &set.auto_reply {
        auto_reply(a, &mut rows);
    }
    if let Some(r) = &set.routing {
        routing(r, &mut rows);
    }
    lists_and_limits(set, &mut rows);
    compliance(set, &mut rows);
    for target in &set.reply_targets {
        let which = match target.counts {
            ReplyCounted::Each => "each human reply",
            ReplyCounted::First => "the first human reply",
        };
        rows.push(
            &target.rule,
            "figure",
            format!("{}: {which} within {}", target.what, target.within),
        );
    }
    service_figures(set, &mut rows);
    translation(set, &mut rows);
    render(set, rows)
}

fn windows(set: &RuleSet, rows: &mut Rows) {
    let mut requirements = |action: &str, reqs: &[Requirement]| {
        for req in reqs {
            for (i, clause) in req.any_of.iter().enumerate() {
                let prefix = if i == 0 { "needs " } else { "  or " };
                rows.push(&clause.rule, action, format!("{prefix}{}", describe(&clause.condition)));
            }
        }
    };
    requirements("reply", &set.reply);
    requirements("initiate", &set.initiate);
    if let Some(rule) = &set.initiate_from_order {
        rows.push(rule, "initiate", "starts from one of the buyer's orders, sent as an order card");
    }
}

fn kind_names(kinds: &[ContentKind]) -> String {
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
}

fn kinds(set: &RuleSet, rows: &mut Rows) {
    if let Some(k) = &set.outbound_kinds {
        rows.push(&k.rule, "agent sends", format!("only {}", kind_names(&k.allowed)));
    }
    if let Some(k) = &set.inbound_kinds {
        rows.push(&k.rule, "buyer sends", format!("only {}", kind_names(&k.allowed)));
    }
}

fn timers(set: &RuleSet, rows: &mut Rows) {
    for t in &set.timers {
        let who = match t.silent {
            Silent::Agent => "no agent reply",
            Silent::Buyer => "buyer silence after the agent's message",
        };
        let then = match t.then {
            Transition::End => "end",
            Transition::Close => "close",
        };
        rows.push(&t.rule, "timer", format!("after {} of {who}: {then}", t.after));
    }
}

fn auto_reply(a: &AutoReplyRule, rows: &mut Rows) {
    let action = "auto-reply";
    rows.push(
        &a.trigger_rule,
        action,
        format!("sent on a buyer message after {} without one", a.quiet),
    );
    rows.push(&a.switch_rule, action, "on only when enabled and its text is not empty");
    rows.push(&a.stays_unread_rule, action, "the conversation stays unread and unreplied");
    rows.push(
        &a.actions_rule,
        action,
        format!("carries {} to {} quick actions", a.min_actions, a.max_actions),
    );
}

fn routing(r: &Routing, rows: &mut Rows) {
    let assignment = "assignment";
    match &r.assign {
        AssignPolicy::Manual { rule } => {
            rows.push(rule, assignment, "by hand only, to staff with chat permission");
        }
        AssignPolicy::IdleRate { rule } => rows.push(
            rule,
            assignment,
            "available agent with the highest (max - current) / max; ties at random",
        ),
        AssignPolicy::LeastLoaded { rule } => rows.push(
            rule,
            assignment,
            "available agent with spare capacity and the fewest current; ties at random",
        ),
        AssignPolicy::Sticky { new_rule, returning_rule, within } => {
            rows.push(
                returning_rule,
                assignment,
                format!("the buyer's agent of the last {within} if online"),
            );
            rows.push(
                new_rule,
                assignment,
                "else a random online sub-account, else the main account",
            );
        }
    }
    let optional = [
        (&r.single_agent_rule, assignment, "a shop with one chat account gives it everything"),
        (&r.queue_rule, "queue", "waits unassigned when nobody available has spare capacity"),
        (&r.backfill_rule, "queue", "assigned as soon as capacity appears"),
        (
            &r.queue_order_rule,
            "queue",
            "first-come or last-come first-served, set by the main account",
        ),
    ];
    for (rule, action, what) in optional {
        if let Some(rule) = rule {
            rows.push(rule, action, what);
        }
    }
}

fn lists_and_limits(set: &RuleSet, rows: &mut Rows) {
    if let Some(w) = &set.wait_timer {
        rows.push(
            &w.rule,
            "wait timer",
            "from assignment to a human; restarts at each buyer message",
        );
    }
    if let Some(e) = &set.expiring {
        rows.push(
            &e.rule,
            "list",
            format!("expiring soon when unreplied for more than {}", e.after),
        );
    }
    let limits = &set.limits;
    if let Some(l) = &limits.cart_product_name_chars {
        rows.push(
            &l.rule,
            "cart event",
            format!("product name shown only up to {} characters", l.max),
        );
    }
    if let Some(l) = &limits.products_per_share {
        rows.push(&l.rule, "agent sends", format!("at most {} products in one share", l.max));
    }
    let checks = [
        (
            &limits.published_products_only,
            "only products published to the online store (checked with the platform)",
        ),
        (
            &limits.active_discount_codes_only,
            "only an existing, active discount code (checked with the platform)",
        ),
        (&limits.store_wide_coupons_only, "store-wide coupons only"),
    ];
    for (rule, what) in checks {
        if let Some(rule) = rule {
            rows.push(rule, "agent sends", what);
        }
    }
}

/// The off-platform contact policies checked before a reply is sent.
/// The service figures the platform reports (TT-DATA-*, DY-QA-*), with their durations.
fn service_figures(set: &RuleSet, rows: &mut Rows) {
    for f in &set.service_data.figures {
        let mut what = f.kind.as_str().replace('_', " ");
        if let Some(within) = f.within {
            what.push_str(&format!(", {within}"));
        }
        if let Some(over) = f.over {
            what.push_str(&format!(", over the past {over}"));
        }
        if let Some(longest) = f.longest {
            what.push_str(&format!(", periods of at most {longest}"));
        }
        rows.push(&f.rule, "figure", what);
    }
}

fn compliance(set: &RuleSet, rows: &mut Rows) {
    let c = &set.compliance;
    for p in &c.policies {
        let what = match p.kind {
            PolicyKind::Phone => "no phone numbers".to_owned(),
            PolicyKind::Email => "no email addresses".to_owned(),
            PolicyKind::Link if c.allowed_domains.is_empty() => "no links".to_owned(),
            PolicyKind::Link => format!("no links outside {}", c.allowed_domains.join(", ")),
            PolicyKind::Messenger => "no messenger apps or handles".to_owned(),
            PolicyKind::Payment => "no payment outside the platform".to_owned(),
            PolicyKind::Words => "none of its words".to_owned(),
        };
        let words = match p.words.len() {
            0 => String::new(),
            n => format!(" ({n} words and phrases)"),
        };
        rows.push(&p.id, "reply check", format!("{what}{words}; the agent may send anyway"));
    }
}

fn translation(set: &RuleSet, rows: &mut Rows) {
    use shopmux_contract::translation::TranslationRules;
    match &set.translation {
        TranslationRules::Shopmux { rule: Some(rule) } => rows.push(
            rule,
            "translation",
            "shopmux translates the draft before sending; messages shown in both languages",
        ),
        TranslationRules::Shopmux { rule: None } => {}
        TranslationRules::PlatformTranslates { rule, choice_rule, fallback_language } => {
            let what = format!(
                "the platform shows the buyer replies in their language ({fallback_language} where unsupported); sent as written"
            );
            rows.push(rule, "translation", what);
            if let Some(choice) = choice_rule {
                rows.push(
                    choice,
                    "translation",
                    "shown in the seller's language; the seller chooses source and target",
                );
            }
        }
    }
}

fn render(set: &RuleSet, rows: Rows) -> String {
    if rows.0.is_empty() {
        return format!("{}: no rules (everything is allowed)\n", set.platform);
    }
    let mut out =
        format!("{} rules\n{:<11} {:<12} {}\n", set.platform, "RULE", "ACTION", "CONDITION");
    for (rule, action, what) in rows.0 {
        out.push_str(&format!("{rule:<11} {action:<12} {what}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_rule_id_of_the_set() {
        for adapter in crate::adapters::builtin_adapters() {
            let set = adapter.rule_set();
            let table = rules_table(&set);
            for id in set.rule_ids() {
                assert!(table.contains(id), "{} table lacks {id}:\n{table}", set.platform);
            }
        }
    }
}
