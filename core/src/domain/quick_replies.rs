//! Quick replies (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): canned texts an agent picks to
//! fill the reply box — never sent by being chosen. Each belongs to one set: an agent's
//! own (DY-QUICK-1) or a shop's (ALL-SHOP-1, managed by the main account). A set has no
//! size limit (AE-QUICK-1); each text has bounds.
//!
//! A text may hold variables written `{name}` (lowercase letters, digits and `_` between
//! braces), one of [`VARIABLES`]; any other `{word}` is refused on save
//! (`unknown_variable`), while other braces (`{ }`, `{Word}`, a lone `{`) are plain text.
//! Rendering for a conversation picks the version in the buyer's language and fills the
//! variables it can; the ones it cannot stay as `{name}` and are listed as unfilled, and
//! a reply still holding one is refused (`unfilled_variable`): a placeholder is never
//! sent to a buyer.
//!
//! Order within a set: one `position` per reply. Groups are ordered by their first
//! reply's position, replies within a group by position.

use super::ids::*;
use super::model::{Buyer, Message, Order, Shop};
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::content::MessageContent;

/// The longest title (the shortcut typed after `/`).
pub const MAX_TITLE_CHARS: usize = 64;
/// The longest group name.
pub const MAX_GROUP_CHARS: usize = 64;
/// The longest text of one language version.
pub const MAX_TEXT_CHARS: usize = 5_000;
/// The most language versions besides the default.
pub const MAX_TRANSLATIONS: usize = 20;
/// The longest language tag.
pub const MAX_LANGUAGE_CHARS: usize = 35;
/// The longest search string.
pub const MAX_QUERY_CHARS: usize = 100;

/// The variables a text may hold, as `{name}`.
pub const VARIABLES: &[&str] = &[
    "buyer_name",
    "order_id",
    "order_status",
    "tracking_number",
    "product_name",
    "shop_name",
    "agent_nickname",
];

/// A quick reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuickReply {
    /// Id.
    pub id: QuickReplyId,
    /// The shop whose set it belongs to (ALL-SHOP-1); absent for an agent's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_id: Option<ShopId>,
    /// The agent whose own it is (DY-QUICK-1); absent for a shop's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Its group's name (empty: no group).
    pub group: String,
    /// Its place in the set (groups by their first reply, then replies).
    pub position: i64,
    /// Title, also the shortcut typed after `/`.
    pub title: String,
    /// The default text.
    pub text: String,
    /// Versions in other languages.
    pub translations: Vec<Translation>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// A quick reply's text in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Translation {
    /// Language tag (`es`, `zh-CN`).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 35, pattern = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
    )]
    pub language: String,
    /// The text in that language.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 5000, pattern = r"\S"))]
    pub text: String,
}

/// What a quick reply says: the body of a create or an update.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QuickReplyInput {
    /// Its group's name (absent or empty: no group).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    #[serde(default)]
    pub group: Option<String>,
    /// Title, also the shortcut typed after `/`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = r"\S"))]
    pub title: String,
    /// The default text; `{variable}`s allowed: `buyer_name`, `order_id`,
    /// `order_status`, `tracking_number`, `product_name`, `shop_name`, `agent_nickname`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 5000, pattern = r"\S"))]
    pub text: String,
    /// Versions in other languages, one per language.
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    #[serde(default)]
    pub translations: Vec<Translation>,
}

/// A quick reply's checked fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Group (trimmed; empty for none).
    pub group: String,
    /// Title (trimmed).
    pub title: String,
    /// Default text.
    pub text: String,
    /// Language versions.
    pub translations: Vec<Translation>,
}

/// A quick reply rendered for a conversation: the text for the reply box.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rendered {
    /// The text, variables filled; an unfilled one stays as `{name}`.
    pub text: String,
    /// The variables the conversation could not fill, in order of first use.
    pub unfilled: Vec<String>,
    /// The version's language; absent for the default text.
    pub language: Option<String>,
}

/// The values a conversation gives the variables; `None`: unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    /// `{buyer_name}`.
    pub buyer_name: Option<String>,
    /// `{order_id}`.
    pub order_id: Option<String>,
    /// `{order_status}`.
    pub order_status: Option<String>,
    /// `{tracking_number}`.
    pub tracking_number: Option<String>,
    /// `{product_name}`.
    pub product_name: Option<String>,
    /// `{shop_name}`.
    pub shop_name: Option<String>,
    /// `{agent_nickname}`.
    pub agent_nickname: Option<String>,
}

impl Values {
    /// The value of a variable, when known and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        let value = match name {
            "buyer_name" => &self.buyer_name,
            "order_id" => &self.order_id,
            "order_status" => &self.order_status,
            "tracking_number" => &self.tracking_number,
            "product_name" => &self.product_name,
            "shop_name" => &self.shop_name,
            "agent_nickname" => &self.agent_nickname,
            _ => &None,
        };
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
}

/// The `{name}` references of a text: (byte range of `{name}`, name).
fn references(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find('{').map(|i| i + rest) {
        let after = &text[open + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('}') {
            found.push((open..open + len + 2, &after[..len]));
            rest = open + len + 2;
        } else {
            rest = open + 1;
        }
    }
    found
}

/// Refuses a text naming a variable that does not exist.
fn check_variables(field: &str, text: &str) -> CoreResult<()> {
    for (_, name) in references(text) {
        if !VARIABLES.contains(&name) {
            return Err(CoreError::Unprocessable {
                code: "unknown_variable",
                field: field.into(),
                message: format!("{{{name}}} is not a variable; known: {}", VARIABLES.join(", ")),
            });
        }
    }
    Ok(())
}

fn bounded(field: &str, value: &str, min: usize, max: usize) -> CoreResult<String> {
    let value = value.trim();
    let n = value.chars().count();
    if n < min || n > max {
        let message = if min == 0 {
            format!("must be at most {max} characters")
        } else {
            format!("must be {min} to {max} characters")
        };
        return Err(CoreError::invalid(field, message));
    }
    Ok(value.to_owned())
}

/// Whether a language tag is well formed (`es`, `zh-CN`, `sr-Latn-RS`).
pub fn valid_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=8).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && tag.len() <= MAX_LANGUAGE_CHARS
}

/// Checks a quick reply's fields: bounds, language tags (one version per language), and
/// variables (AE-QUICK-1: no limit on how many replies, only on each one's size).
pub fn check(input: &QuickReplyInput) -> CoreResult<Checked> {
    let group = bounded("group", input.group.as_deref().unwrap_or_default(), 0, MAX_GROUP_CHARS)?;
    let title = bounded("title", &input.title, 1, MAX_TITLE_CHARS)?;
    let text = bounded("text", &input.text, 1, MAX_TEXT_CHARS)?;
    check_variables("text", &text)?;
    if input.translations.len() > MAX_TRANSLATIONS {
        return Err(CoreError::invalid(
            "translations",
            format!("at most {MAX_TRANSLATIONS} languages"),
        ));
    }
    let mut translations: Vec<Translation> = Vec::new();
    for (i, t) in input.translations.iter().enumerate() {
        let field = format!("translations[{i}]");
        if !valid_language(&t.language) {
            return Err(CoreError::invalid(
                format!("{field}.language"),
                "must be a language tag such as `es` or `zh-CN`",
            ));
        }
        if translations.iter().any(|o| o.language.eq_ignore_ascii_case(&t.language)) {
            return Err(CoreError::invalid(
                format!("{field}.language"),
                "one version per language",
            ));
        }
        let text = bounded(&format!("{field}.text"), &t.text, 1, MAX_TEXT_CHARS)?;
        check_variables(&format!("{field}.text"), &text)?;
        translations.push(Translation { language: t.language.clone(), text });
    }
    Ok(Checked { group, title, text, translations })
}

/// What a search looks in: group, title and every text, lowercased.
pub fn search_text(reply: &QuickReply) -> String {
    let mut all = vec![reply.group.as_str(), reply.title.as_str(), reply.text.as_str()];
    all.extend(reply.translations.iter().map(|t| t.text.as_str()));
    all.join("\n").to_lowercase()
}

/// A search string as a `LIKE` pattern on [`search_text`]: lowercased, partial, with
/// `%`, `_` and `\` escaped (`ESCAPE '\'`); `None` for a blank one.
pub fn like_pattern(q: &str) -> CoreResult<Option<String>> {
    let q = q.trim();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(CoreError::invalid("q", format!("at most {MAX_QUERY_CHARS} characters")));
    }
    if q.is_empty() {
        return Ok(None);
    }
    let mut pattern = String::from("%");
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(Some(pattern))
}

/// Puts a set's replies in reading order: groups by their first reply's position, then
/// replies by position (ties by id).
pub fn arrange(mut replies: Vec<QuickReply>) -> Vec<QuickReply> {
    let mut first: std::collections::HashMap<(Option<ShopId>, String), i64> = Default::default();
    for r in &replies {
        let at = first.entry((r.shop_id, r.group.clone())).or_insert(r.position);
        *at = (*at).min(r.position);
    }
    replies.sort_by_key(|r| {
        // The agent's own set first, then each shop's.
        (r.shop_id, first[&(r.shop_id, r.group.clone())], r.group.clone(), r.position, r.id)
    });
    replies
}

/// The version for a buyer's language: an exact tag, else the same primary language
/// (`es` for `es-MX`, `zh-CN` for `zh`), else the default text.
pub fn choose_version<'a>(
    reply: &'a QuickReply, buyer_language: Option<&str>,
) -> (&'a str, Option<&'a str>) {
    let primary = |tag: &str| tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    let Some(wanted) = buyer_language.map(str::trim).filter(|l| !l.is_empty()) else {
        return (&reply.text, None);
    };
    let wanted = wanted.replace('_', "-");
    let exact = reply.translations.iter().find(|t| t.language.eq_ignore_ascii_case(&wanted));
    let same_primary =
        || reply.translations.iter().find(|t| primary(&t.language) == primary(&wanted));
    match exact.or_else(same_primary) {
        Some(t) => (&t.text, Some(&t.language)),
        None => (&reply.text, None),
    }
}

/// Fills a text's variables from `values`; unknown values stay as `{name}` and are
/// listed as unfilled.
pub fn fill(text: &str, values: &Values) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unfilled: Vec<String> = Vec::new();
    let mut from = 0;
    for (range, name) in references(text) {
        out.push_str(&text[from..range.start]);
        match values.get(name) {
            Some(v) => out.push_str(v),
            None => {
                out.push_str(&text[range.clone()]);
                if !unfilled.iter().any(|u| u == name) {
                    unfilled.push(name.to_owned());
                }
            }
        }
        from = range.end;
    }
    out.push_str(&text[from..]);
    (out, unfilled)
}

/// A quick reply rendered for a buyer: the version in their language, filled.
// rule: DY-QUICK-1 (choosing fills the input: this is the text, nothing is sent)
pub fn render(reply: &QuickReply, buyer_language: Option<&str>, values: &Values) -> Rendered {
    let (text, language) = choose_version(reply, buyer_language);
    let (text, unfilled) = fill(text, values);
    Rendered { text, unfilled, language: language.map(str::to_owned) }
}

/// The values a conversation gives: the buyer's name, the order (the one of the latest
/// order card among `recent` messages, else the buyer's newest), the product of the
/// latest product card, the shop's name and the agent's nickname; the tracking number
/// of that order, else of the buyer's newest order with one (none: `{tracking_number}`
/// stays unfilled).
pub fn conversation_values(
    buyer: &Buyer, shop: &Shop, orders: &[Order], recent: &[Message], agent_nickname: &str,
) -> Values {
    let mut newest_first: Vec<&Message> = recent.iter().collect();
    newest_first.sort_by_key(|m| std::cmp::Reverse((m.created_at, m.id)));
    let card_order = newest_first.iter().find_map(|m| match &m.content {
        MessageContent::OrderCard { order_id, status } => Some((order_id, status)),
        _ => None,
    });
    let product = newest_first.iter().find_map(|m| match &m.content {
        MessageContent::ProductCard { title, .. } => Some(title.clone()),
        _ => None,
    });
    let newest = |orders: &mut dyn Iterator<Item = &Order>| {
        orders.max_by_key(|o| (o.created_at, o.id)).cloned()
    };
    let (order_id, order_status, chosen) = match card_order {
        Some((card_id, card_status)) => match orders.iter().find(|o| &o.external_id == card_id) {
            Some(o) => (Some(shown_order_id(o)), Some(o.status.clone()), Some(o.clone())),
            None => (Some(card_id.clone()), card_status.clone(), None),
        },
        None => match newest(&mut orders.iter()) {
            Some(o) => (Some(shown_order_id(&o)), Some(o.status.clone()), Some(o)),
            None => (None, None, None),
        },
    };
    let tracked = |o: &Order| o.tracking_number.clone().filter(|t| !t.trim().is_empty());
    let tracking_number = chosen.as_ref().and_then(tracked).or_else(|| {
        newest(&mut orders.iter().filter(|o| tracked(o).is_some())).as_ref().and_then(tracked)
    });
    Values {
        buyer_name: Some(buyer.nickname.clone()),
        order_id,
        order_status,
        tracking_number,
        product_name: product,
        shop_name: Some(shop.name.clone()),
        agent_nickname: Some(agent_nickname.to_owned()),
    }
}

/// The order number buyers see (`#1001`) where the platform has one, else its id.
fn shown_order_id(order: &Order) -> String {
    order.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| order.external_id.clone())
}

/// Refuses a reply whose text still holds a `{variable}` placeholder: an unfilled
/// variable is shown to the agent, never sent (AE-QUICK-1, DY-QUICK-1).
// rule: AE-QUICK-1
pub fn refuse_placeholders(content: &MessageContent) -> CoreResult<()> {
    let text = match content {
        MessageContent::Text { text } => text.as_str(),
        MessageContent::ProductList { text: Some(text), .. } => text.as_str(),
        _ => return Ok(()),
    };
    let left: Vec<&str> =
        references(text).into_iter().map(|(_, n)| n).filter(|n| VARIABLES.contains(n)).collect();
    match left.first() {
        None => Ok(()),
        Some(name) => Err(CoreError::Unprocessable {
            code: "unfilled_variable",
            field: "content.text".into(),
            message: format!(
                "the text still holds {{{name}}}: fill it in or remove it before sending"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str, translations: &[(&str, &str)]) -> QuickReply {
        let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        QuickReply {
            id: QuickReplyId::new(),
            shop_id: None,
            agent_id: Some(AgentId::new()),
            group: String::new(),
            position: 0,
            title: "t".into(),
            text: text.into(),
            translations: translations
                .iter()
                .map(|(l, t)| Translation { language: (*l).into(), text: (*t).into() })
                .collect(),
            created_at: now,
            updated_at: now,
        }
    }

    fn input(text: &str) -> QuickReplyInput {
        QuickReplyInput { group: None, title: "Hi".into(), text: text.into(), translations: vec![] }
    }

    #[test]
    fn an_unknown_variable_is_refused_on_save_and_other_braces_are_text() {
        let err = check(&input("Hello {buyer_nam}")).unwrap_err();
        assert!(
            matches!(&err, CoreError::Unprocessable { code: "unknown_variable", field, .. } if field == "text"),
            "{err:?}"
        );
        for plain in ["a { b }", "{Name}", "{", "}{", "{}", "{order-id}", "{{order_id"] {
            assert!(check(&input(plain)).is_ok(), "{plain}");
        }
        assert!(check(&input("Dear {buyer_name}, order {order_id}")).is_ok());
        let mut bad = input("ok");
        bad.translations = vec![Translation { language: "es".into(), text: "{pedido}".into() }];
        let err = check(&bad).unwrap_err();
        assert!(
            matches!(&err, CoreError::Unprocessable { field, .. } if field == "translations[0].text")
        );
    }

    #[test]
    fn sizes_languages_and_duplicates_are_bounded() {
        assert!(check(&input(" ")).is_err());
        assert!(check(&input(&"x".repeat(MAX_TEXT_CHARS))).is_ok());
        assert!(check(&input(&"x".repeat(MAX_TEXT_CHARS + 1))).is_err());
        let mut title = input("ok");
        title.title = "t".repeat(MAX_TITLE_CHARS + 1);
        assert!(check(&title).is_err());
        let with = |langs: &[&str]| {
            let mut i = input("ok");
            i.translations = langs
                .iter()
                .map(|l| Translation { language: (*l).into(), text: "x".into() })
                .collect();
            check(&i)
        };
        assert!(with(&["es", "zh-CN", "sr-Latn-RS"]).is_ok());
        assert!(with(&["es", "ES"]).is_err(), "one version per language");
        assert!(with(&["e"]).is_err());
        assert!(with(&["es mx"]).is_err());
        let many: Vec<String> = (0..=MAX_TRANSLATIONS).map(|i| format!("x{i:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(with(&many).is_err());
    }

    #[test]
    fn the_buyers_language_picks_the_version_else_the_default() {
        let r = reply("Hello", &[("es", "Hola"), ("zh-CN", "你好")]);
        assert_eq!(choose_version(&r, Some("es")), ("Hola", Some("es")));
        assert_eq!(choose_version(&r, Some("es-MX")), ("Hola", Some("es")), "primary language");
        assert_eq!(choose_version(&r, Some("zh")), ("你好", Some("zh-CN")));
        assert_eq!(choose_version(&r, Some("ZH_cn")), ("你好", Some("zh-CN")));
        assert_eq!(choose_version(&r, Some("pl")), ("Hello", None));
        assert_eq!(choose_version(&r, None), ("Hello", None));
        assert_eq!(choose_version(&r, Some(" ")), ("Hello", None));
    }

    #[test]
    fn variables_are_filled_and_unknown_values_stay_marked() {
        let values = Values {
            buyer_name: Some("Ana".into()),
            order_id: Some("#1001".into()),
            order_status: Some("  ".into()),
            ..Values::default()
        };
        let r = reply(
            "Hi {buyer_name}, order {order_id} is {order_status}; track {tracking_number} {order_status}",
            &[],
        );
        let out = render(&r, None, &values);
        assert_eq!(
            out.text,
            "Hi Ana, order #1001 is {order_status}; track {tracking_number} {order_status}"
        );
        assert_eq!(out.unfilled, vec!["order_status", "tracking_number"]);
        assert_eq!(out.language, None);
    }

    #[test]
    fn a_value_holding_braces_is_not_expanded_again() {
        let values = Values { buyer_name: Some("{order_id}".into()), ..Values::default() };
        let out = render(&reply("{buyer_name}/{order_id}", &[]), Some("en"), &values);
        assert_eq!(out.text, "{order_id}/{order_id}");
        assert_eq!(out.unfilled, vec!["order_id"]);
    }

    #[test]
    fn a_reply_still_holding_a_placeholder_is_refused() {
        // rule: AE-QUICK-1 — an unfilled variable is never sent as a placeholder.
        let text = |t: &str| MessageContent::Text { text: t.into() };
        let err = refuse_placeholders(&text("Your order {order_id} ships")).unwrap_err();
        assert!(matches!(err, CoreError::Unprocessable { code: "unfilled_variable", .. }));
        assert!(refuse_placeholders(&text("Your order #1001 ships")).is_ok());
        assert!(refuse_placeholders(&text("a {json} b {Order_id}")).is_ok(), "not a variable");
    }

    #[test]
    fn search_patterns_are_lowercased_partial_and_escaped() {
        assert_eq!(like_pattern("  ").unwrap(), None);
        assert_eq!(like_pattern("Ship").unwrap().as_deref(), Some("%ship%"));
        assert_eq!(like_pattern("50%_\\").unwrap().as_deref(), Some("%50\\%\\_\\\\%"));
        assert!(like_pattern(&"q".repeat(MAX_QUERY_CHARS + 1)).is_err());
    }

    #[test]
    fn groups_follow_their_first_reply_and_replies_their_position() {
        let mut a = reply("a", &[]);
        let mut b = reply("b", &[]);
        let mut c = reply("c", &[]);
        (a.group, a.position) = ("Shipping".into(), 2);
        (b.group, b.position) = ("Greeting".into(), 1);
        (c.group, c.position) = ("Shipping".into(), 0);
        let order: Vec<String> = arrange(vec![a, b, c]).into_iter().map(|r| r.text).collect();
        assert_eq!(order, ["c", "a", "b"]);
    }

    #[test]
    fn the_conversation_gives_its_order_card_else_the_newest_order_and_its_product() {
        let at = |s: i64| chrono::DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap();
        let shop = Shop {
            id: ShopId::new(),
            seller_id: SellerId::new(),
            platform: shopmux_contract::Platform::new("api").unwrap(),
            external_id: "s".into(),
            region: String::new(),
            name: "Mug House".into(),
            settings: serde_json::json!({}),
            created_at: at(0),
        };
        let buyer = Buyer {
            id: BuyerId::new(),
            shop_id: shop.id,
            external_id: "b".into(),
            nickname: "Ana".into(),
            language: Some("es".into()),
            email: None,
            created_at: at(0),
        };
        let order = |ext: &str, name: Option<&str>, status: &str, t: i64| Order {
            id: OrderId::new(),
            shop_id: shop.id,
            buyer_id: buyer.id,
            external_id: ext.into(),
            created_at: at(t),
            status: status.into(),
            reverse_in_progress: false,
            name: name.map(Into::into),
            total: None,
            tracking_number: None,
        };
        let message = |content: MessageContent, t: i64| Message {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            shop_id: shop.id,
            direction: super::super::model::Direction::In,
            sender_kind: super::super::model::SenderKind::Buyer,
            sender_agent_id: None,
            content,
            translated_text: None,
            platform_message_id: None,
            created_at: at(t),
            delivery_status: None,
            delivery_error: None,
            analysis: Default::default(),
            translation: None,
        };
        let orders = [order("O-2", None, "shipped", 20), order("O-1", Some("#1001"), "paid", 10)];
        let none = conversation_values(&buyer, &shop, &orders, &[], "Kim");
        assert_eq!(
            (none.order_id.as_deref(), none.order_status.as_deref()),
            (Some("O-2"), Some("shipped"))
        );
        assert_eq!(none.product_name, None);
        let card = |id: &str| MessageContent::OrderCard { order_id: id.into(), status: None };
        let product = |title: &str| MessageContent::ProductCard {
            product_id: "p".into(),
            title: title.into(),
            url: None,
            image_url: None,
            price: None,
        };
        let recent = [
            message(card("O-1"), 5),
            message(product("Old mug"), 1),
            message(product("Blue mug"), 3),
        ];
        let v = conversation_values(&buyer, &shop, &orders, &recent, "Kim");
        assert_eq!(
            (v.order_id.as_deref(), v.order_status.as_deref()),
            (Some("#1001"), Some("paid"))
        );
        assert_eq!(v.product_name.as_deref(), Some("Blue mug"));
        assert_eq!(
            (v.buyer_name.as_deref(), v.shop_name.as_deref()),
            (Some("Ana"), Some("Mug House"))
        );
        assert_eq!((v.agent_nickname.as_deref(), v.tracking_number), (Some("Kim"), None));
        let unknown_card = [message(
            MessageContent::OrderCard { order_id: "O-9".into(), status: Some("new".into()) },
            9,
        )];
        let v = conversation_values(&buyer, &shop, &orders, &unknown_card, "Kim");
        assert_eq!((v.order_id.as_deref(), v.order_status.as_deref()), (Some("O-9"), Some("new")));
        // The chosen order's tracking number, else the newest order's with one.
        let mut tracked = orders.clone();
        tracked[1].tracking_number = Some("LX-1".into());
        let v = conversation_values(&buyer, &shop, &tracked, &[], "Kim");
        assert_eq!(
            (v.order_id.as_deref(), v.tracking_number.as_deref()),
            (Some("O-2"), Some("LX-1"))
        );
        tracked[0].tracking_number = Some("LX-2".into());
        let v = conversation_values(&buyer, &shop, &tracked, &recent, "Kim");
        assert_eq!(
            (v.order_id.as_deref(), v.tracking_number.as_deref()),
            (Some("#1001"), Some("LX-1"))
        );
    }
}
