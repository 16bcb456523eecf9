//! The demo's script: the buyers' stories per marketplace (fixed stories, names from fixed
//! pools), turned into the steps each marketplace's lane plays, generation after
//! generation of buyers; and the seeded generator for the pace's jitter and cart tokens.

use super::setup::{TIKTOK_ES_SHOP, TIKTOK_GB_SHOP};
use serde_json::json;
use shopmux_simulator::{aliexpress, douyin, tiktok};
use std::collections::VecDeque;

/// Shopify products: id, title, price (EUR), published.
pub(super) const SHOPIFY_PRODUCTS: &[(u64, &str, &str, bool)] = &[
    (8_101, "Linen shirt", "49.00", true),
    (8_102, "Stoneware mug", "18.00", true),
    (8_103, "Oak desk lamp", "89.00", true),
    (8_104, "Gift wrapping", "0.00", true),
    (8_109, "Wool throw (coming soon)", "120.00", false),
];

/// One TikTok story: the buyer shares an order card first when there is a product.
struct TikTokStory {
    order: Option<(&'static str, &'static str)>,
    lines: &'static [&'static str],
}

/// A TikTok lane: its shop (the place in the demo's shops), stories, buyers' names and
/// currency.
struct TikTokLane {
    shop: usize,
    stories: &'static [TikTokStory],
    names: &'static [&'static str],
    currency: &'static str,
}

const TIKTOK_GB_LANE: TikTokLane = TikTokLane {
    shop: TIKTOK_GB_SHOP,
    stories: TIKTOK_GB,
    names: TIKTOK_GB_NAMES,
    currency: "GBP",
};

const TIKTOK_ES_LANE: TikTokLane = TikTokLane {
    shop: TIKTOK_ES_SHOP,
    stories: TIKTOK_ES,
    names: TIKTOK_ES_NAMES,
    currency: "EUR",
};

const TIKTOK_GB_NAMES: &[&str] = &[
    "Oliver Bennett",
    "Chloe Harris",
    "Amelia Clarke",
    "Harry Walsh",
    "Isla Murphy",
    "George Patel",
    "Sophie Reid",
    "Jack Turner",
];

const TIKTOK_GB: &[TikTokStory] = &[
    TikTokStory {
        order: Some(("Oak desk lamp", "34.99")),
        lines: &[
            "Hi! I ordered the oak desk lamp on Monday, any idea when it'll ship?",
            "Tracking still says awaiting collection 🙈",
            "Brilliant, thank you!",
        ],
    },
    TikTokStory {
        order: None,
        lines: &[
            "Hello, does the linen duvet set come in super king?",
            "And is it pre-washed? My last one shrank loads",
            "Lovely, adding it to my basket now x",
        ],
    },
    TikTokStory {
        order: Some(("Stoneware mug", "12.50")),
        lines: &[
            "My mug arrived with a chip on the handle 😞",
            "Can I get a replacement rather than a refund? It's a gift",
        ],
    },
    TikTokStory {
        order: None,
        lines: &[
            "Is the 15% code from yesterday's live still working?",
            "It says invalid at checkout",
        ],
    },
];

const TIKTOK_ES_NAMES: &[&str] = &[
    "Lucía Fernández",
    "Javier Moreno",
    "Carmen Ruiz",
    "Pablo Jiménez",
    "Marta Sánchez",
    "Diego Navarro",
    "Elena Castro",
    "Sergio Ortega",
];

const TIKTOK_ES: &[TikTokStory] = &[
    // The FAQ bot's story (`faq.rs`): answered, then handed over after two misses.
    TikTokStory { order: None, lines: super::faq::BOT_STORY },
    TikTokStory {
        order: None,
        lines: &[
            "¡Hola! ¿El vestido de lino viene en talla M?",
            "¿Y cuánto tarda el envío a Sevilla?",
            "Perfecto, ¡muchas gracias! 😊",
        ],
    },
    TikTokStory {
        order: Some(("Auriculares inalámbricos", "39.90")),
        lines: &[
            "Buenas, pedí unos auriculares hace ocho días y todavía no han llegado",
            "¿Me podéis pasar el número de seguimiento?",
        ],
    },
    TikTokStory {
        order: None,
        lines: &[
            "¿Aceptáis devoluciones si la talla no me queda bien?",
            "Vale, ¿y quién paga el envío de la devolución?",
        ],
    },
    TikTokStory {
        order: None,
        lines: &[
            "¿Tenéis la funda de cojín en verde salvia?",
            "¡Genial! ¿Se puede lavar a máquina?",
        ],
    },
];

/// One AliExpress story: the buyer's language, the order it is about (product, status,
/// issue status), and the messages.
struct AliExpressStory {
    language: &'static str,
    order: Option<(&'static str, &'static str)>,
    lines: &'static [&'static str],
}

const ALIEXPRESS_PL_NAMES: &[&str] = &[
    "Agnieszka Plebanek",
    "Tomasz Wiśniewski",
    "Katarzyna Nowak",
    "Piotr Zieliński",
    "Magdalena Wójcik",
    "Michał Kamiński",
];

const ALIEXPRESS_EN_NAMES: &[&str] =
    &["Emily Turner", "Daniel Brooks", "Hannah Scott", "Ryan Cooper"];

const ALIEXPRESS: &[AliExpressStory] = &[
    AliExpressStory {
        language: "pl",
        order: Some(("WAIT_BUYER_ACCEPT_GOODS", "NO_ISSUE")),
        lines: &[
            "Dzień dobry, zamówiłam lampkę nocną trzy tygodnie temu i nadal jej nie ma. Gdzie jest moja paczka?",
            "Numer śledzenia nie działa na stronie Poczty Polskiej.",
            "Dziękuję, poczekam jeszcze tydzień.",
        ],
    },
    AliExpressStory {
        language: "en",
        order: Some(("WAIT_BUYER_ACCEPT_GOODS", "IN_ISSUE")),
        lines: &[
            "Hi, my parcel arrived today but one of the two cushion covers is missing.",
            "I've opened a dispute just in case, but I'd rather sort it out with you directly.",
            "Could you resend the missing one instead of a refund?",
        ],
    },
    AliExpressStory {
        language: "pl",
        order: None,
        lines: &[
            "Cześć, czy ten zasilacz działa z napięciem 230 V?",
            "A jaki jest czas dostawy do Krakowa?",
            "Super, zamawiam dzisiaj wieczorem.",
        ],
    },
    AliExpressStory {
        language: "pl",
        order: Some(("FINISH", "NO_ISSUE")),
        lines: &[
            "Chciałabym zwrócić słuchawki — lewa w ogóle nie gra.",
            "Czy muszę je odesłać w oryginalnym opakowaniu?",
        ],
    },
];

/// Douyin orders: product, price in fen, and what happens after the order (shipped,
/// after-sale type: 0 return of goods, 2 refund before shipping).
struct DouyinStory {
    product: &'static str,
    amount: i64,
    shipped: bool,
    after_sale: Option<i64>,
}

const DOUYIN: &[DouyinStory] = &[
    DouyinStory {
        product: "北欧实木台灯", amount: 12_900, shipped: true, after_sale: Some(0)
    },
    DouyinStory {
        product: "纯棉四件套 1.8米床", amount: 29_900, shipped: false, after_sale: None
    },
    DouyinStory {
        product: "陶瓷马克杯 两只装",
        amount: 7_800,
        shipped: false,
        after_sale: Some(2),
    },
    DouyinStory {
        product: "亚麻抱枕套 45×45", amount: 5_900, shipped: true, after_sale: None
    },
];

/// What a Shopify customer does after their first message.
#[derive(Clone, Copy)]
pub(super) enum ShopAct {
    Say(&'static str),
    /// Their cart now: (product index in [`SHOPIFY_PRODUCTS`], quantity).
    Cart(&'static [(usize, i64)]),
    /// They place an order (the store's customer and order webhooks).
    Order,
    /// The shop's first agent answers them through the HTTP API (taking the chat when
    /// nobody holds it): the one agent reply the script plays, so that their rating
    /// names an agent.
    Answer(&'static str),
    /// They rate the service from the widget (DY-RATE-1): a score and a comment.
    Rate(u8, &'static str),
    Leave,
}

/// One storefront customer: language, time zone and offset, whether they give an email,
/// their first message and what follows. A customer who does not leave stays in the store
/// until the stories start again.
struct ShopifyStory {
    language: &'static str,
    time_zone: (&'static str, i32),
    email: bool,
    first: &'static str,
    acts: &'static [ShopAct],
}

const SHOPIFY_ES_NAMES: &[&str] = &["Ana García", "Sofía López", "Lucía Romero", "Valeria Díaz"];

const SHOPIFY_EN_NAMES: &[&str] = &["Jack Wilson", "Ella Thompson", "Noah Miller", "Grace Evans"];

const SHOPIFY: &[ShopifyStory] = &[
    ShopifyStory {
        language: "es",
        time_zone: ("Europe/Madrid", 60),
        email: true,
        first: "Hola, ¿la camisa de lino talla grande o normal?",
        acts: &[
            ShopAct::Answer("¡Hola! Es de talla normal; la M te irá bien."),
            ShopAct::Rate(5, "¡Muy amables y rápidos!"),
            ShopAct::Cart(&[(0, 1)]),
            ShopAct::Say("Me llevo la M entonces. ¿Cuánto tarda el envío a Valencia?"),
            ShopAct::Order,
            ShopAct::Say("¡Pedido hecho! Muchas gracias 🙌"),
        ],
    },
    ShopifyStory {
        language: "en",
        time_zone: ("America/Chicago", -360),
        email: true,
        first: "Hey, do you ship to Canada?",
        acts: &[
            ShopAct::Cart(&[(1, 2), (2, 1)]),
            ShopAct::Cart(&[(1, 2)]),
            ShopAct::Say("Shipping's a bit steep for the lamp, I'll just get the mugs."),
            ShopAct::Leave,
        ],
    },
    ShopifyStory {
        language: "es",
        time_zone: ("America/Mexico_City", -360),
        email: false,
        first: "¿Tienen la taza en azul?",
        acts: &[ShopAct::Say("Ok, gracias, regreso después."), ShopAct::Leave],
    },
    ShopifyStory {
        language: "en",
        time_zone: ("Europe/London", 0),
        email: true,
        first: "Is gift wrapping free?",
        acts: &[
            ShopAct::Cart(&[(0, 1), (3, 1)]),
            ShopAct::Order,
            ShopAct::Say("Just ordered, thanks so much!"),
            ShopAct::Leave,
        ],
    },
];

/// One buyer action.
pub(super) enum Step {
    TikTok {
        shop: usize,
        conversation: String,
        buyer: tiktok::Buyer,
        message: tiktok::BuyerMessage,
        order: Option<tiktok::Order>,
    },
    AliExpress {
        buyer: aliexpress::Buyer,
        message: aliexpress::BuyerMessage,
        order: Option<aliexpress::Order>,
    },
    DouyinOrder(douyin::Order),
    DouyinShipped(String),
    DouyinAfterSale {
        order: String,
        after_sale_id: String,
        kind: i64,
    },
    ShopifyJoin {
        key: String,
        name: String,
        email: Option<String>,
        time_zone: (&'static str, i32),
        first: &'static str,
    },
    ShopifyAct {
        key: String,
        act: ShopAct,
    },
}

/// The marketplaces, in the order the first round visits them (AliExpress first: its
/// messages wait for the next poll).
#[derive(Clone, Copy, Debug)]
pub(super) enum Lane {
    AliExpress,
    TikTokGb,
    Shopify,
    Douyin,
    TikTokEs,
}

pub(super) const LANES: [Lane; 5] =
    [Lane::AliExpress, Lane::TikTokGb, Lane::Shopify, Lane::Douyin, Lane::TikTokEs];

/// Stories played two at a time: the first two interleaved, then the next two.
fn interleave(stories: Vec<Vec<Step>>) -> VecDeque<Step> {
    let mut out = VecDeque::new();
    let mut stories = stories.into_iter();
    while let Some(a) = stories.next() {
        let b = stories.next().unwrap_or_default();
        let (mut a, mut b) = (a.into_iter(), b.into_iter());
        loop {
            match (a.next(), b.next()) {
                (None, None) => break,
                (x, y) => out.extend(x.into_iter().chain(y)),
            }
        }
    }
    out
}

fn name(pool: &[&str], story: usize, generation: u64, stories: usize) -> String {
    let i = (story + generation as usize * stories) % pool.len();
    pool[i].to_owned()
}

/// The steps of one marketplace's stories for a generation of buyers.
pub(super) fn lane_steps(lane: Lane, generation: u64, now: i64) -> VecDeque<Step> {
    let g = generation;
    match lane {
        Lane::TikTokGb => played(TIKTOK_GB_LANE.stories, |i, story| {
            tiktok_story(&TIKTOK_GB_LANE, i, story, g, now)
        }),
        Lane::TikTokEs => played(TIKTOK_ES_LANE.stories, |i, story| {
            tiktok_story(&TIKTOK_ES_LANE, i, story, g, now)
        }),
        Lane::AliExpress => played(ALIEXPRESS, |i, story| aliexpress_story(i, story, g, now)),
        Lane::Douyin => played(DOUYIN, |i, story| douyin_story(i, story, g, now)),
        Lane::Shopify => played(SHOPIFY, |i, story| shopify_story(i, story, g)),
    }
}

/// A lane's stories, each turned into its steps (given its place among the stories),
/// played two at a time.
fn played<S>(stories: &[S], story_steps: impl Fn(usize, &S) -> Vec<Step>) -> VecDeque<Step> {
    interleave(stories.iter().enumerate().map(|(i, story)| story_steps(i, story)).collect())
}

/// A TikTok buyer: an order card first when the story has an order, then their lines,
/// all in one conversation of the lane's shop.
fn tiktok_story(lane: &TikTokLane, i: usize, story: &TikTokStory, g: u64, now: i64) -> Vec<Step> {
    let shop = lane.shop;
    let user_id = format!("7{}{g:08}{i:02}", shop + 1);
    let buyer = tiktok::Buyer {
        im_user_id: format!("9{user_id}"),
        nickname: name(lane.names, i, g, lane.stories.len()),
        user_id,
    };
    let conversation = format!("5764607{}{g:08}{i:02}", shop + 1);
    let step = |message, order| Step::TikTok {
        shop,
        conversation: conversation.clone(),
        buyer: buyer.clone(),
        message,
        order,
    };
    let card = story.order.map(|(product, price)| {
        let order = tiktok_order(lane, i, g, now, &buyer.user_id, (product, price));
        let card = json!({"order_id": order.id}).to_string();
        step(tiktok::BuyerMessage::new("ORDER_CARD", &card), Some(order))
    });
    card.into_iter()
        .chain(story.lines.iter().map(|line| step(tiktok::BuyerMessage::text(line), None)))
        .collect()
}

/// A TikTok buyer's order of two days ago: one item, the story's product at its price.
fn tiktok_order(
    lane: &TikTokLane, i: usize, g: u64, now: i64, buyer: &str, (product, price): (&str, &str),
) -> tiktok::Order {
    let id = format!("5768{}{g:08}{i:02}0001", lane.shop + 1);
    let mut order = tiktok::Order::new(&id, buyer, now - 2 * 86_400);
    order.currency = lane.currency.to_owned();
    order.total_amount = price.to_owned();
    for item in &mut order.items {
        item.product_name = product.to_owned();
        item.sale_price = price.to_owned();
    }
    order
}

/// An AliExpress buyer's messages; the first is about their order (three weeks old),
/// when the story has one.
fn aliexpress_story(i: usize, story: &AliExpressStory, g: u64, now: i64) -> Vec<Step> {
    let pool = if story.language == "pl" { ALIEXPRESS_PL_NAMES } else { ALIEXPRESS_EN_NAMES };
    let n = g * 100 + i as u64;
    let buyer = aliexpress::Buyer {
        login_id: format!("{}{n:06}buyer", story.language),
        ali_id: format!("22{n:08}"),
        name: name(pool, i, g, ALIEXPRESS.len()),
    };
    let order = story.order.map(|(status, issue)| aliexpress::Order {
        id: format!("8190{g:06}{i:02}4471"),
        buyer: buyer.clone(),
        created_at: chrono::DateTime::from_timestamp(now - 21 * 86_400, 0).unwrap_or_default(),
        status: status.to_owned(),
        issue_status: issue.to_owned(),
        logistics_no: None,
    });
    story
        .lines
        .iter()
        .enumerate()
        .map(|(j, line)| Step::AliExpress {
            buyer: buyer.clone(),
            message: match &order {
                Some(order) if j == 0 => aliexpress::BuyerMessage::about_order(&order.id, line),
                _ => aliexpress::BuyerMessage::text(line),
            },
            order: order.clone().filter(|_| j == 0),
        })
        .collect()
}

/// A Douyin buyer's order, then the seller's shipping and the buyer's after-sale request
/// where the story has them.
fn douyin_story(i: usize, story: &DouyinStory, g: u64, now: i64) -> Vec<Step> {
    let order = douyin_order(i, story, g, now);
    let order_id = order.order_id.clone();
    let mut steps = vec![Step::DouyinOrder(order)];
    if story.shipped {
        steps.push(Step::DouyinShipped(order_id.clone()));
    }
    if let Some(kind) = story.after_sale {
        steps.push(Step::DouyinAfterSale {
            order: order_id,
            after_sale_id: format!("70{g:07}{i:02}55102300"),
            kind,
        });
    }
    steps
}

/// A Douyin order awaiting shipping: one item, the story's product.
fn douyin_order(i: usize, story: &DouyinStory, g: u64, now: i64) -> douyin::Order {
    douyin::Order {
        order_id: format!("69{g:07}{i:02}88306400"),
        order_status: 2,
        order_status_desc: "待发货".to_owned(),
        create_time: now,
        update_time: now,
        order_amount: story.amount,
        pay_amount: story.amount,
        doudian_open_id: format!("demo-dy-buyer-{g}-{i}"),
        buyer_words: String::new(),
        items: vec![douyin::OrderItem {
            order_id: format!("69{g:07}{i:02}88306401"),
            product_id: format!("36000000000{i:08}"),
            product_name: story.product.to_owned(),
            sku_id: format!("17000000000{i:08}"),
            item_num: 1,
            pay_amount: story.amount,
        }],
        tracking_no: None,
    }
}

/// A storefront customer: they join with their first message, then act.
fn shopify_story(i: usize, story: &ShopifyStory, g: u64) -> Vec<Step> {
    let pool = if story.language == "es" { SHOPIFY_ES_NAMES } else { SHOPIFY_EN_NAMES };
    let name = name(pool, i, g, SHOPIFY.len());
    let key = format!("{g}-{i}");
    let email = story.email.then(|| format!("{}@example.com", ascii_slug(&name)));
    let mut steps = vec![Step::ShopifyJoin {
        key: key.clone(),
        name,
        email,
        time_zone: story.time_zone,
        first: story.first,
    }];
    steps.extend(story.acts.iter().map(|act| Step::ShopifyAct { key: key.clone(), act: *act }));
    steps
}

/// `Ana García` → `ana.garcia`.
fn ascii_slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'ą' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'ę' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' | 'ń' => 'n',
            'ł' => 'l',
            'ś' => 's',
            'ż' | 'ź' => 'z',
            'ć' => 'c',
            ' ' => '.',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect()
}

/// A small seeded generator (SplitMix64), for the pace's jitter and cart tokens.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_marketplace_acts_in_the_first_round_and_stories_start_again_with_new_buyers() {
        for lane in LANES {
            let first = lane_steps(lane, 0, 1_700_000_000);
            let second = lane_steps(lane, 1, 1_700_000_000);
            assert!(!first.is_empty(), "{lane:?}");
            assert_eq!(first.len(), second.len(), "{lane:?}");
            let buyer = |steps: &VecDeque<Step>| match steps.front() {
                Some(Step::TikTok { buyer, .. }) => buyer.user_id.clone(),
                Some(Step::AliExpress { buyer, .. }) => buyer.login_id.clone(),
                Some(Step::DouyinOrder(order)) => order.doudian_open_id.clone(),
                Some(Step::ShopifyJoin { key, .. }) => key.clone(),
                other => panic!(
                    "{lane:?} starts with something a buyer does not start with: {}",
                    other.is_some()
                ),
            };
            assert_ne!(buyer(&first), buyer(&second), "{lane:?}");
        }
    }

    #[test]
    fn interleaving_keeps_each_story_in_order() {
        let story = |tag: &str, n: usize| -> Vec<Step> {
            (0..n).map(|i| Step::DouyinShipped(format!("{tag}{i}"))).collect()
        };
        let played: Vec<String> = interleave(vec![story("a", 3), story("b", 1), story("c", 2)])
            .into_iter()
            .map(|s| match s {
                Step::DouyinShipped(id) => id,
                _ => String::new(),
            })
            .collect();
        assert_eq!(played, ["a0", "b0", "a1", "a2", "c0", "c1"]);
    }

    #[test]
    fn emails_are_ascii() {
        assert_eq!(ascii_slug("Ana García"), "ana.garcia");
        assert_eq!(ascii_slug("Sofía López"), "sofia.lopez");
    }
}
