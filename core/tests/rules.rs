//! The rules engine against each platform's rule set: every window is checked one
//! second before its boundary, at it, and one second after, with a fixed clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shopmux_contract::RuleSet;
use shopmux_contract::content::MessageContent;
use shopmux_core::domain::ids::*;
use shopmux_core::domain::model::*;
use shopmux_core::domain::rules::{
    Refusal, can_initiate, can_reply, check_inbound_kind, check_reply, timer_due_at,
    wait_started_at,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn conversation(platform: &str, state: ConversationState) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        shop_id: ShopId::new(),
        platform: Platform::new(platform).unwrap(),
        buyer_id: BuyerId::new(),
        entry_point: EntryPoint::Unknown,
        state,
        assignee_id: None,
        flag: None,
        topics: vec![],
        has_order: false,
        unread_count: 0,
        waiting_since: None,
        created_at: t0(),
        last_message_at: t0(),
        last_buyer_message_at: Some(t0()),
        last_agent_reply_at: None,
        assigned_at: None,
        ended_at: None,
        closed_at: None,
        preview: String::new(),
        bot_active: false,
        bot_misses: 0,
        next_breach_at: None,
        sla_due_at: None,
        breach_warn_at: None,
        first_assigned_at: None,
        reply_wait_since: None,
    }
}

fn order(created_at: DateTime<Utc>, reverse: bool) -> Order {
    Order {
        id: OrderId::new(),
        shop_id: ShopId::new(),
        buyer_id: BuyerId::new(),
        external_id: "o-1".into(),
        created_at,
        status: "delivered".into(),
        reverse_in_progress: reverse,
        name: None,
        total: None,
        tracking_number: None,
    }
}

fn text() -> MessageContent {
    MessageContent::Text { text: "hello".into() }
}

/// Asserts allowed one second before and at `boundary`, refused one second after,
/// naming `rule` and the instant the window closed.
fn check_boundary(
    what: &str, rule: &str, boundary: DateTime<Utc>,
    allowed_at: impl Fn(DateTime<Utc>) -> Result<(), Refusal>,
) {
    for at in [boundary - Duration::seconds(1), boundary] {
        assert!(allowed_at(at).is_ok(), "{what}: refused at {at} (boundary {boundary})");
    }
    let refusal = allowed_at(boundary + Duration::seconds(1)).expect_err(what);
    assert!(refusal.rule.contains(rule), "{what}: refused by {} instead of {rule}", refusal.rule);
    assert_eq!(refusal.window_closed_at, Some(boundary), "{what}: window_closed_at");
    assert!(!refusal.message.is_empty());
}

/// [`check_boundary`] of a window named after its rule.
fn check_window(
    rule: &str, boundary: DateTime<Utc>, allowed_at: impl Fn(DateTime<Utc>) -> Result<(), Refusal>,
) {
    check_boundary(rule, rule, boundary, allowed_at);
}

/// [`check_window`] of a seller starting a chat with a buyer whose only order was
/// placed at `t0`: allowed until `open_for` after it.
fn check_initiate_after_an_order(rules: &RuleSet, rule: &str, open_for: Duration) {
    let orders = [order(t0(), false)];
    check_window(rule, t0() + open_for, initiate_at(rules, None, &orders));
}

/// When the timer of `rule` falls due for `c` (none: it does not run).
fn due_at(rules: &RuleSet, rule: &str, c: &Conversation) -> Option<DateTime<Utc>> {
    let timer = rules.timers.iter().find(|t| t.rule == rule).expect(rule);
    timer_due_at(timer, c)
}

fn reply_at(
    rules: &RuleSet, c: &Conversation, orders: &[Order],
) -> impl Fn(DateTime<Utc>) -> Result<(), Refusal> {
    let (rules, c, orders) = (rules.clone(), c.clone(), orders.to_vec());
    move |now| check_reply(&rules, &c, &orders, &text(), now).map(|_| ())
}

fn initiate_at(
    rules: &RuleSet, latest: Option<Conversation>, orders: &[Order],
) -> impl Fn(DateTime<Utc>) -> Result<(), Refusal> {
    let (rules, orders) = (rules.clone(), orders.to_vec());
    move |now| {
        let p = can_initiate(&rules, latest.as_ref(), &orders, now);
        match p.refusal {
            Some(r) => Err(r),
            None => Ok(()),
        }
    }
}

#[test]
fn tt_win_2_no_reply_30_days_after_closing() {
    let rules = shopmux_adapter_tiktok::rule_set();
    let mut c = conversation("tiktok", ConversationState::Closed);
    c.last_buyer_message_at = Some(t0() - Duration::days(10));
    c.closed_at = Some(t0());
    let closes = t0() + Duration::days(30);
    check_window("TT-WIN-2", closes, reply_at(&rules, &c, &[]));
    // Ended (by an agent or by the TT-WIN-1 timeout, into history): the same 30 days.
    let mut ended = conversation("tiktok", ConversationState::Ended);
    ended.ended_at = Some(t0());
    let allowed = reply_at(&rules, &ended, &[]);
    check_boundary("TT-WIN-2 ended", "TT-WIN-2", closes, allowed);
    // An open conversation is not limited by it.
    let open = conversation("tiktok", ConversationState::InProgress);
    assert!(check_reply(&rules, &open, &[], &text(), t0() + Duration::days(400)).is_ok());
}

#[test]
fn tt_msg_1_agents_send_text_emoji_image_video_only() {
    let rules = shopmux_adapter_tiktok::rule_set();
    let c = conversation("tiktok", ConversationState::InProgress);
    for ok in [
        text(),
        MessageContent::Emoji { code: "😀".into() },
        MessageContent::Image { url: "u".into() },
        MessageContent::Video { url: "u".into() },
    ] {
        assert!(check_reply(&rules, &c, &[], &ok, t0()).is_ok());
    }
    let refused = check_reply(
        &rules,
        &c,
        &[],
        &MessageContent::CouponCard { code: "X".into(), title: None, scope: None },
        t0(),
    )
    .unwrap_err();
    assert_eq!(refused.rule, "TT-MSG-1");
    assert!(refused.message.contains("coupon_card"), "{}", refused.message);
}

#[test]
fn tt_init_1_order_in_60_days_or_a_return_in_progress() {
    let rules = shopmux_adapter_tiktok::rule_set();
    check_initiate_after_an_order(&rules, "TT-INIT-1", Duration::days(60));
    let old_with_return = [order(t0() - Duration::days(200), true)];
    assert!(
        can_initiate(&rules, None, &old_with_return, t0()).allowed,
        "a reverse order in progress opens it"
    );
    let no_orders = can_initiate(&rules, None, &[], t0());
    assert_eq!(no_orders.refusal.unwrap().rule, "TT-INIT-1");
}

#[test]
fn dy_win_1_reply_within_24_hours_of_the_buyer_message() {
    let rules = shopmux_adapter_douyin::rule_set();
    let c = conversation("douyin", ConversationState::InProgress);
    let closes = t0() + Duration::hours(24);
    check_window("DY-WIN-1", closes, reply_at(&rules, &c, &[]));
    let p = can_reply(&rules, &c, &[], t0() + Duration::hours(1));
    assert_eq!(p.deadline, Some(closes), "the reply deadline is shown");
}

#[test]
fn dy_end_3_ended_conversation_answerable_72_hours_and_dy_win_1_stricter_wins() {
    let rules = shopmux_adapter_douyin::rule_set();
    let mut c = conversation("douyin", ConversationState::Ended);
    c.ended_at = Some(t0());
    // The buyer keeps writing (so DY-WIN-1 holds): DY-END-3 limits to 72 h after the end.
    let c_recent = |now: DateTime<Utc>| {
        let mut c = c.clone();
        c.last_buyer_message_at = Some(now - Duration::hours(1));
        check_reply(&rules, &c, &[], &text(), now).map(|_| ())
    };
    check_window("DY-END-3", t0() + Duration::hours(72), c_recent);
    // Ended 1 h ago, but the buyer's message is 25 h old: DY-WIN-1, the stricter, refuses.
    let mut stale = c.clone();
    stale.last_buyer_message_at = Some(t0() - Duration::hours(24));
    let refusal = check_reply(&rules, &stale, &[], &text(), t0() + Duration::hours(1)).unwrap_err();
    assert_eq!(refusal.rule, "DY-WIN-1");
    // The deadline is the earlier of the two windows.
    let mut both = c.clone();
    both.last_buyer_message_at = Some(t0());
    assert_eq!(can_reply(&rules, &both, &[], t0()).deadline, Some(t0() + Duration::hours(24)));
}

#[test]
fn dy_win_2_seller_starts_only_with_an_order_in_30_days() {
    let rules = shopmux_adapter_douyin::rule_set();
    check_initiate_after_an_order(&rules, "DY-WIN-2", Duration::days(30));
}

#[test]
fn ae_win_2_and_ae_win_3_either_opens_the_window() {
    let rules = shopmux_adapter_aliexpress::rule_set();
    let now = t0();
    let mut latest = conversation("aliexpress", ConversationState::Ended);
    // Last buyer reply 31 days ago, only order 151 days ago: refused, naming both rules.
    latest.last_buyer_message_at = Some(now - Duration::days(31));
    let orders = [order(now - Duration::days(151), false)];
    let p = can_initiate(&rules, Some(&latest), &orders, now);
    let refusal = p.refusal.expect("refused");
    assert_eq!(refusal.rule, "AE-WIN-2/AE-WIN-3");
    assert_eq!(
        refusal.window_closed_at,
        Some(now - Duration::days(1)),
        "the later of the two windows closed a day ago"
    );
    // 29 days ago: allowed.
    latest.last_buyer_message_at = Some(now - Duration::days(29));
    assert!(can_initiate(&rules, Some(&latest), &orders, now).allowed);
    // Boundaries of each window alone.
    latest.last_buyer_message_at = Some(t0());
    let allowed = initiate_at(&rules, Some(latest.clone()), &[]);
    check_window("AE-WIN-2", t0() + Duration::days(30), allowed);
    latest.last_buyer_message_at = None;
    let orders = [order(t0(), false)];
    let allowed = initiate_at(&rules, Some(latest), &orders);
    check_window("AE-WIN-3", t0() + Duration::days(150), allowed);
}

#[test]
fn sh_img_1_customers_cannot_send_images() {
    let rules = shopmux_adapter_shopify::rule_set();
    let refused =
        check_inbound_kind(&rules, &MessageContent::Image { url: "https://x/y.png".into() })
            .unwrap_err();
    assert_eq!(refused.rule, "SH-IMG-1");
    assert!(check_inbound_kind(&rules, &text()).is_ok());
    // Agents may send images (SH-IMG-1), and there is no reply window.
    let c = conversation("shopify", ConversationState::InProgress);
    assert!(
        check_reply(
            &rules,
            &c,
            &[],
            &MessageContent::Image { url: "u".into() },
            t0() + Duration::days(900)
        )
        .is_ok()
    );
}

#[test]
fn the_api_channel_allows_everything() {
    let rules = RuleSet::permissive(Platform::new("api").unwrap());
    let mut c = conversation("api", ConversationState::Closed);
    c.closed_at = Some(t0());
    assert!(check_reply(&rules, &c, &[], &text(), t0() + Duration::days(3650)).is_ok());
    assert!(can_initiate(&rules, None, &[], t0()).allowed);
}

#[test]
fn tt_win_1_unreplied_7_days_closes() {
    let rules = shopmux_adapter_tiktok::rule_set();
    let mut c = conversation("tiktok", ConversationState::InProgress);
    c.waiting_since = Some(t0());
    assert_eq!(due_at(&rules, "TT-WIN-1", &c), Some(t0() + Duration::days(7)));
    c.waiting_since = None;
    assert_eq!(due_at(&rules, "TT-WIN-1", &c), None, "answered: no timeout");
}

#[test]
fn dy_end_2_ends_15_minutes_after_the_agent_only_when_the_buyer_is_silent() {
    let rules = shopmux_adapter_douyin::rule_set();
    let mut c = conversation("douyin", ConversationState::InProgress);
    c.last_agent_reply_at = Some(t0());
    c.waiting_since = None;
    assert_eq!(due_at(&rules, "DY-END-2", &c), Some(t0() + Duration::minutes(15)));
    // The buyer wrote after the agent: the buyer is waiting, it never ends by itself.
    c.waiting_since = Some(t0() + Duration::minutes(1));
    assert_eq!(due_at(&rules, "DY-END-2", &c), None);
    // Ended conversations have no timers.
    c.waiting_since = None;
    c.state = ConversationState::Ended;
    assert_eq!(due_at(&rules, "DY-END-2", &c), None);
}

#[test]
fn ae_coupon_1_only_store_wide_coupons_are_sent() {
    use shopmux_contract::content::CouponScope;
    let rules = shopmux_adapter_aliexpress::rule_set();
    let c = conversation("aliexpress", ConversationState::InProgress);
    let coupon = |scope| MessageContent::CouponCard { code: "SAVE5".into(), title: None, scope };
    assert!(check_reply(&rules, &c, &[], &coupon(Some(CouponScope::Store)), t0()).is_ok());
    for bad in [Some(CouponScope::Targeted), None] {
        let refused = check_reply(&rules, &c, &[], &coupon(bad), t0()).unwrap_err();
        assert_eq!(refused.rule, "AE-COUPON-1");
    }
    // Platforms without the rule send targeted coupons freely.
    let douyin = shopmux_adapter_douyin::rule_set();
    let mut dc = conversation("douyin", ConversationState::InProgress);
    dc.last_buyer_message_at = Some(t0());
    assert!(check_reply(&douyin, &dc, &[], &coupon(Some(CouponScope::Targeted)), t0()).is_ok());
}

#[test]
fn sh_cart_1_product_names_of_41_characters_or_more_are_left_out() {
    use shopmux_contract::content::{CartAction, CartLine};
    let rules = shopmux_adapter_shopify::rule_set();
    let name = |n: usize| Some("x".repeat(n));
    let mut content = MessageContent::CartEvent {
        action: CartAction::Add,
        subtotal: "42.00 USD".into(),
        lines: vec![
            CartLine { product_name: name(40), quantity: 1 },
            CartLine { product_name: name(41), quantity: 2 },
        ],
    };
    shopmux_core::domain::rules::normalize_inbound(&rules, &mut content);
    let MessageContent::CartEvent { lines, subtotal, .. } = content else { unreachable!() };
    assert_eq!(lines[0].product_name, name(40), "40 characters: shown");
    assert_eq!(lines[1].product_name, None, "41 characters: left out");
    assert_eq!(
        (lines[1].quantity, subtotal.as_str()),
        (2, "42.00 USD"),
        "quantities and subtotal stay"
    );
}

#[test]
fn dy_timer_1_the_wait_timer_starts_at_assignment_and_restarts_at_each_buyer_message() {
    let rules = shopmux_adapter_douyin::rule_set();
    let mut c = conversation("douyin", ConversationState::Unassigned);
    c.waiting_since = Some(t0());
    c.last_buyer_message_at = Some(t0());
    assert_eq!(wait_started_at(&rules, &c), None, "not yet with a human agent");
    c.assigned_at = Some(t0() + Duration::minutes(2));
    assert_eq!(wait_started_at(&rules, &c), Some(t0() + Duration::minutes(2)));
    c.last_buyer_message_at = Some(t0() + Duration::minutes(5));
    assert_eq!(wait_started_at(&rules, &c), Some(t0() + Duration::minutes(5)), "restarts");
    c.waiting_since = None;
    assert_eq!(wait_started_at(&rules, &c), None, "stops at the agent's reply");
    // Other platforms count from the first unreplied message.
    let tt = shopmux_adapter_tiktok::rule_set();
    let mut c = conversation("tiktok", ConversationState::InProgress);
    c.waiting_since = Some(t0());
    c.last_buyer_message_at = Some(t0() + Duration::minutes(5));
    assert_eq!(wait_started_at(&tt, &c), Some(t0()));
}

mod window_properties {
    //! Property tests of the window arithmetic: whatever the sequence of buyer messages,
    //! ends and closes, no reply gets through after its window closed, and a reply
    //! allowed now is allowed until the deadline the engine announced.

    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Event {
        BuyerMessage,
        End,
        Close,
        Reopen,
        Wait(i64),
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::BuyerMessage),
            Just(Event::End),
            Just(Event::Close),
            Just(Event::Reopen),
            (1i64..200_000).prop_map(Event::Wait),
        ]
    }

    fn run(events: &[Event], platform: &str) -> (Conversation, DateTime<Utc>) {
        let mut c = conversation(platform, ConversationState::InProgress);
        let mut now = t0();
        for e in events {
            match e {
                Event::BuyerMessage => {
                    c.last_buyer_message_at = Some(now);
                    if !c.state.is_open() {
                        c.state = ConversationState::InProgress;
                        c.ended_at = None;
                        c.closed_at = None;
                    }
                }
                Event::End if c.state.is_open() => {
                    c.state = ConversationState::Ended;
                    c.ended_at = Some(now);
                }
                Event::Close if c.state != ConversationState::Closed => {
                    c.state = ConversationState::Closed;
                    c.closed_at = Some(now);
                }
                Event::Reopen if !c.state.is_open() => {
                    c.state = ConversationState::InProgress;
                    c.ended_at = None;
                    c.closed_at = None;
                }
                Event::Wait(secs) => now += Duration::seconds(*secs),
                _ => {}
            }
        }
        (c, now)
    }

    proptest! {
        #[test]
        fn no_reply_passes_after_its_window_and_announced_deadlines_hold(
            events in proptest::collection::vec(event(), 0..40),
            later in 1i64..400_000,
        ) {
            for rules in [shopmux_adapter_douyin::rule_set(), shopmux_adapter_tiktok::rule_set(), shopmux_adapter_aliexpress::rule_set()] {
                let (c, now) = run(&events, rules.platform.as_str());
                let permission = can_reply(&rules, &c, &[], now);
                if let Some(deadline) = permission.deadline {
                    // Allowed up to the deadline, refused one second after it.
                    prop_assert!(can_reply(&rules, &c, &[], deadline).allowed);
                    prop_assert!(!can_reply(&rules, &c, &[], deadline + Duration::seconds(1)).allowed);
                }
                if let Some(refusal) = &permission.refusal {
                    // Once refused, waiting never opens a reply window again.
                    prop_assert!(!can_reply(&rules, &c, &[], now + Duration::seconds(later)).allowed);
                    if let Some(closed) = refusal.window_closed_at {
                        prop_assert!(closed < now);
                    }
                }
            }
        }
    }
}

#[test]
fn sh_prod_1_at_most_three_products_in_one_share() {
    use shopmux_contract::content::SharedProduct;
    let rules = shopmux_adapter_shopify::rule_set();
    let c = conversation("shopify", ConversationState::InProgress);
    let share = |n: usize| MessageContent::ProductList {
        products: (0..n)
            .map(|i| SharedProduct {
                product_id: format!("gid://shopify/Product/{i}"),
                title: format!("Product {i}"),
                url: None,
                image_url: None,
                price: None,
            })
            .collect(),
        text: Some("These might suit you".into()),
    };
    for n in 1..=3 {
        assert!(check_reply(&rules, &c, &[], &share(n), t0()).is_ok(), "{n}");
    }
    let refused = check_reply(&rules, &c, &[], &share(4), t0()).unwrap_err();
    assert_eq!(refused.rule, "SH-PROD-1");
    assert!(refused.message.contains("at most 3"), "{}", refused.message);
}

mod deadlines {
    //! What a reply is worth: the deadlines of a waiting conversation, at their edges.
    use super::*;
    use shopmux_core::domain::deadlines::*;
    use std::sync::Arc;

    fn spec(rules: RuleSet, minutes: Option<u32>) -> DeadlineSpec {
        let target =
            minutes.map(|m| ServiceLevel { first_reply_minutes: m, warn_before_seconds: 120 });
        DeadlineSpec { rules: Arc::new(rules), target }
    }

    fn waiting(platform: &str) -> Conversation {
        let mut c = conversation(platform, ConversationState::InProgress);
        c.waiting_since = Some(t0());
        c
    }

    // rule: DY-QA-1 (30 seconds and 10 minutes from the waiting message), DY-WIN-1
    #[test]
    fn a_waiting_douyin_buyer_has_the_monitoring_marks_then_the_window() {
        let s = spec(shopmux_adapter_douyin::rule_set(), None);
        let c = waiting("douyin");
        let all = deadlines(&s, &c);
        let got: Vec<(DeadlineKind, Option<&str>, DateTime<Utc>)> =
            all.iter().map(|d| (d.kind, d.rule.as_deref(), d.at)).collect();
        assert_eq!(
            got,
            vec![
                (DeadlineKind::ReplyTarget, Some("DY-QA-1"), t0() + Duration::seconds(30)),
                (DeadlineKind::ReplyTarget, Some("DY-QA-1"), t0() + Duration::minutes(10)),
                (DeadlineKind::WindowClose, Some("DY-WIN-1"), t0() + Duration::hours(24)),
            ]
        );
        // At the mark a reply still counts; a second later the next mark is the breach.
        let at_mark = t0() + Duration::seconds(30);
        assert_eq!(next_breach(&s, &c, at_mark).unwrap().at, at_mark);
        let after = next_breach(&s, &c, at_mark + Duration::seconds(1)).unwrap();
        assert_eq!(after.at, t0() + Duration::minutes(10));
        assert_eq!(after.what.as_deref(), Some("buyer messages left unreplied for 10 minutes"));
    }

    // rule: TT-DATA-1 (only the first reply counts, within 24 hours), TT-WIN-1
    #[test]
    fn the_response_rate_counts_only_the_first_reply() {
        let s = spec(shopmux_adapter_tiktok::rule_set(), Some(5));
        let mut c = waiting("tiktok");
        let kinds: Vec<DeadlineKind> = deadlines(&s, &c).iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            vec![DeadlineKind::ServiceLevel, DeadlineKind::ReplyTarget, DeadlineKind::AutoClose]
        );
        assert_eq!(service_level_due(&s, &c), Some(t0() + Duration::minutes(5)));
        // Answered once, then waiting again: neither the first-reply figure nor the target.
        c.last_agent_reply_at = Some(t0() + Duration::minutes(1));
        c.waiting_since = Some(t0() + Duration::hours(1));
        let kinds: Vec<DeadlineKind> = deadlines(&s, &c).iter().map(|d| d.kind).collect();
        assert_eq!(kinds, vec![DeadlineKind::AutoClose]);
        assert_eq!(service_level_due(&s, &c), None);
    }

    #[test]
    fn stamping_warns_once_per_due_time() {
        let s = spec(shopmux_adapter_api_rules(), Some(10));
        let mut c = waiting("api");
        stamp(&s, &mut c, t0());
        let due = t0() + Duration::minutes(10);
        assert_eq!((c.next_breach_at, c.sla_due_at), (Some(due), Some(due)));
        assert_eq!(c.breach_warn_at, Some(due - Duration::seconds(120)));
        // Warned: a later write with the same due time does not arm it again.
        c.breach_warn_at = None;
        c.unread_count += 1;
        stamp(&s, &mut c, t0() + Duration::minutes(9));
        assert_eq!(c.breach_warn_at, None);
        // Past the target nothing is left to breach; an answer clears the target.
        stamp(&s, &mut c, due + Duration::seconds(1));
        assert_eq!(c.next_breach_at, None);
        c.waiting_since = None;
        c.last_agent_reply_at = Some(due);
        stamp(&s, &mut c, due);
        assert_eq!((c.sla_due_at, c.breach_warn_at), (None, None));
    }

    fn shopmux_adapter_api_rules() -> RuleSet {
        RuleSet::permissive(Platform::new("api").unwrap())
    }

    #[test]
    fn service_level_settings_are_checked() {
        let ok = service_level(&serde_json::json!({"service_level": {"first_reply_minutes": 5}}));
        assert_eq!(ok.unwrap().unwrap().warn_before_seconds, 120);
        for bad in [
            serde_json::json!({"service_level": {"first_reply_minutes": 0}}),
            serde_json::json!({"service_level": {"first_reply_minutes": 1441}}),
            serde_json::json!({"service_level": {"first_reply_minutes": 5, "warn_before_seconds": 3601}}),
            serde_json::json!({"service_level": {"minutes": 5}}),
        ] {
            assert!(service_level(&bad).is_err(), "{bad}");
        }
    }
}
