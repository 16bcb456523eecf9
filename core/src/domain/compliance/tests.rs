//! The compliance check per policy in each buyer language (English, Spanish, Polish,
//! Chinese): drafts that break the policy, and drafts that must pass — order ids, prices,
//! tracking numbers, dates, the platform's own links.

use super::*;
use shopmux_contract::compliance::Compliance;

fn checker() -> Checker {
    Checker::new(&Compliance::standard(&["market.example"]), &ShopCompliance::default())
}

/// The policy IDs the draft breaks, with the text that breaks each.
fn found(draft: &str) -> Vec<(String, String)> {
    checker().check(draft).into_iter().map(|f| (f.policy, f.text)).collect()
}

/// Asserts that every draft breaks `policy`, naming the text it expects found.
fn flags(policy: &str, cases: &[(&str, &str)]) {
    for (draft, text) in cases {
        let f = found(draft);
        assert!(
            f.iter().any(|(p, t)| p == policy && t == text),
            "{policy} should find {text:?} in {draft:?}; found {f:?}"
        );
    }
}

/// Asserts that no draft breaks `policy`.
fn passes(policy: &str, drafts: &[&str]) {
    for draft in drafts {
        let f = found(draft);
        assert!(!f.iter().any(|(p, _)| p == policy), "{policy} should pass {draft:?}; found {f:?}");
    }
}

#[test]
fn off_phone_1_finds_phone_numbers_in_each_language() {
    // rule: OFF-PHONE-1
    flags(
        "OFF-PHONE-1",
        &[
            // en
            ("Call me on +1 415 555 2671 tomorrow", "+1 415 555 2671"),
            ("reach me at (415) 555-2671", "(415) 555-2671"),
            ("my number: 1-3-8-0-0-1-3-8-0-0-0", "1-3-8-0-0-1-3-8-0-0-0"),
            (
                "text one three eight zero zero one three eight zero zero zero",
                "one three eight zero zero one three eight zero zero zero",
            ),
            // es
            ("Llámame al 612345678 por favor", "612345678"),
            ("Mi móvil es +34 612 34 56 78", "+34 612 34 56 78"),
            (
                "escribe al seis uno dos tres cuatro cinco seis siete ocho",
                "seis uno dos tres cuatro cinco seis siete ocho",
            ),
            // pl
            ("Zadzwoń: 512 345 678", "512 345 678"),
            ("mój numer to +48 512-345-678", "+48 512-345-678"),
            // zh (full-width digits, Chinese numerals)
            ("我的手机13800138000", "13800138000"),
            ("加我１３８００１３８０００", "１３８００１３８０００"),
            ("电话一三八零零一三八零零零", "一三八零零一三八零零零"),
            ("号码 138 0013 8000", "138 0013 8000"),
        ],
    );
    // The policy's words: offering a call without the number yet.
    flags("OFF-PHONE-1", &[("Please call me", "call me"), ("给我打电话", "给我打电话")]);
}

#[test]
fn off_phone_1_leaves_order_ids_prices_dates_and_tracking_numbers_alone() {
    // rule: OFF-PHONE-1
    passes(
        "OFF-PHONE-1",
        &[
            // en
            "Your order 5012345678 has shipped",
            "Order #20240512000123 is on its way",
            "Tracking number: 9400 1000 0000 0000 0000 00",
            "Tracking 1Z999AA10123456784, delivered on 2024-05-12",
            "It costs $1,299.99 or 12 345 678 USD in bulk",
            "Card ending 4242 4242 4242",
            "Sizes 36 38 40 42 44 46 in stock",
            "The 2023-2024 collection, open 10.00-18.00",
            "Arrives in 7-10 days, 2 x 500 ml",
            // es
            "Tu pedido 8123456789012 llegará el 12.05.2024",
            "Número de seguimiento LP00123456789012",
            "Precio: 1 299 000 €",
            // pl
            "Numer zamówienia 3012345678, przesyłka 123456789",
            "Cena 12 345 678 zł",
            // zh
            "订单号 3012345678901234 已发货",
            "运单号 SF1234567890123",
            "价格 1380013 元",
        ],
    );
}

#[test]
fn off_email_1_finds_addresses_also_written_out() {
    // rule: OFF-EMAIL-1
    flags(
        "OFF-EMAIL-1",
        &[
            // en
            ("write to john.smith@gmail.com", "john.smith@gmail.com"),
            ("john at gmail dot com", "john at gmail dot com"),
            ("john(at)mail(dot)com", "john(at)mail(dot)com"),
            // es
            ("mi correo es ana arroba correo punto es", "ana arroba correo punto es"),
            ("escríbeme a ANA＠correo．es", "ANA＠correo．es"),
            // pl
            ("pisz na jan małpa poczta kropka pl", "jan małpa poczta kropka pl"),
            ("info.shop@onet.pl", "info.shop@onet.pl"),
            // zh
            ("发邮件到 wang艾特qq点com", "wang艾特qq点com"),
            ("邮箱 wang@qq.com", "wang@qq.com"),
        ],
    );
    flags("OFF-EMAIL-1", &[("just email me", "email me"), ("我的邮箱给你", "我的邮箱")]);
}

#[test]
fn off_email_1_passes_ordinary_at_and_dot() {
    // rule: OFF-EMAIL-1
    passes(
        "OFF-EMAIL-1",
        &[
            "Look at the photo. Com-pare the sizes",
            "The polka dot dress ships at 5 pm",
            "Llega a las 5 @ tienda",
            "Paczka w punkcie o 12.30",
            "一点也不贵",
        ],
    );
}

#[test]
fn off_link_1_finds_links_outside_the_platform() {
    // rule: OFF-LINK-1
    flags(
        "OFF-LINK-1",
        &[
            // en
            ("Cheaper at https://myshop.io/deal!", "https://myshop.io/deal"),
            ("see www.example.net", "www.example.net"),
            ("order from bestdeals.com", "bestdeals.com"),
            ("visit my shop dot com", "shop dot com"),
            // es
            ("Cómpralo en tienda-barata.es", "tienda-barata.es"),
            // pl
            ("Taniej na sklep.pl/promo", "sklep.pl/promo"),
            // zh
            ("去独立站 abc点com 下单", "abc点com"),
        ],
    );
}

#[test]
fn off_link_1_allows_the_platforms_domains_and_ordinary_dots() {
    // rule: OFF-LINK-1
    passes(
        "OFF-LINK-1",
        &[
            "Your item: https://market.example/item/123",
            "See shop.market.example/store/9 for more",
            "Version 3.5 fits, e.g. size M. Thanks.",
            "El archivo.txt no abre; talla 38.5",
            "Rozmiar 42.5, np. czarny",
            "尺码 42.5 码",
        ],
    );
}

#[test]
fn off_msg_1_finds_messengers_and_handles_in_each_language() {
    // rule: OFF-MSG-1
    flags(
        "OFF-MSG-1",
        &[
            // en
            ("Add me on WhatsApp", "WhatsApp"),
            ("message me on w.h.a.t.s.a.p.p", "w.h.a.t.s.a.p.p"),
            ("find me on Telegram @bestdeals", "Telegram"),
            ("find me on Telegram @bestdeals", "@bestdeals"),
            ("my LINE ID is shop88", "LINE ID"),
            ("ping me on Viber or Instagram DM", "Viber"),
            // es
            ("Escríbeme por wasap", "Escríbeme por"),
            ("mándame un guasap", "guasap"),
            // pl
            ("Dodaj mnie na WeChat", "Dodaj mnie"),
            ("napisz na Telegramie", "Telegramie"),
            // zh
            ("加我微信", "加我"),
            ("加我微信", "微信"),
            ("加vx：shop88", "vx"),
            ("加我wx123", "wx"),
        ],
    );
}

#[test]
fn off_msg_1_passes_ordinary_words() {
    // rule: OFF-MSG-1
    passes(
        "OFF-MSG-1",
        &[
            "What's up? The app shows your order",
            "The product line is new; online today",
            "Wysyłamy w linii prostej, sygnał dobry",
            "La línea de productos es nueva",
            "我们的产品线很新",
        ],
    );
}

#[test]
fn off_pay_1_finds_payment_outside_the_platform() {
    // rule: OFF-PAY-1
    flags(
        "OFF-PAY-1",
        &[
            // en
            ("pay me directly via PayPal", "pay me directly"),
            ("pay me directly via PayPal", "PayPal"),
            ("a bank transfer is cheaper", "bank transfer"),
            // es
            ("Haz una transferencia y te lo envío", "transferencia"),
            ("Prefiero pago directo", "pago directo"),
            ("págame directamente", "págame directamente"),
            // pl
            ("Zapłać przelewem na konto", "przelewem"),
            ("zapłać bezpośrednio, BLIK też", "zapłać bezpośrednio"),
            // zh
            ("可以支付宝转账", "支付宝"),
            ("私下交易更便宜", "私下交易"),
        ],
    );
}

#[test]
fn off_pay_1_passes_payment_through_the_platform() {
    // rule: OFF-PAY-1
    passes(
        "OFF-PAY-1",
        &[
            "Payment is confirmed by the platform",
            "El pago se hizo en la plataforma",
            "Płatność została potwierdzona",
            "您的付款已确认",
        ],
    );
}

#[test]
fn findings_point_at_the_drafts_characters() {
    let draft = "¡Hola! 加我微信 y llámame: +34 612 34 56 78";
    let findings = checker().check(draft);
    let chars: Vec<char> = draft.chars().collect();
    for f in &findings {
        assert_eq!(chars[f.start..f.end].iter().collect::<String>(), f.text, "{f:?}");
    }
    let phone = findings.iter().find(|f| f.text.starts_with('+')).unwrap();
    assert_eq!((phone.start, phone.text.as_str()), (23, "+34 612 34 56 78"));
    assert_eq!(phone.kind, PolicyKind::Phone);
}

#[test]
fn a_shop_disables_policies_allows_its_domains_and_adds_words() {
    let platform = Compliance::standard(&["market.example"]);
    let shop = ShopCompliance {
        disabled: vec!["OFF-PAY-1".into()],
        allowed_domains: vec!["myshop.com".into()],
        extra_words: [
            ("OFF-MSG-1".to_owned(), vec!["kakao".to_owned()]),
            ("SHOP-WORDS-1".to_owned(), vec!["rival store".to_owned()]),
        ]
        .into(),
    };
    let c = Checker::new(&platform, &shop);
    let ids = |draft: &str| policy_ids(&c.check(draft));
    assert!(ids("pay by bank transfer").is_empty(), "OFF-PAY-1 is off in this shop");
    assert!(ids("see myshop.com/sale").is_empty());
    assert_eq!(ids("see other.example.com"), ["OFF-LINK-1"]);
    assert_eq!(ids("on Kakao"), ["OFF-MSG-1"]);
    assert_eq!(ids("the Rival Store is worse"), ["SHOP-WORDS-1"]);
    // Without overrides the platform's policy holds.
    let plain = checker();
    assert_eq!(policy_ids(&plain.check("pay by bank transfer")), ["OFF-PAY-1"]);
    assert_eq!(policy_ids(&plain.check("see myshop.com/sale")), ["OFF-LINK-1"]);
}

#[test]
fn a_platform_without_policies_checks_nothing() {
    let c = Checker::new(&Compliance::default(), &ShopCompliance::default());
    assert!(c.is_empty());
    assert!(c.check("call +1 415 555 2671 or WhatsApp").is_empty());
}

#[test]
fn acknowledging_covers_only_the_named_policies() {
    let findings = checker().check("WhatsApp +1 415 555 2671");
    assert_eq!(unacknowledged(&findings, &[]), ["OFF-MSG-1", "OFF-PHONE-1"]);
    assert_eq!(unacknowledged(&findings, &["OFF-PHONE-1".into()]), ["OFF-MSG-1"]);
    assert!(unacknowledged(&findings, &["OFF-PHONE-1".into(), "OFF-MSG-1".into()]).is_empty());
}
