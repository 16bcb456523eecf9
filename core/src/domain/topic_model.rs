//! The built-in offline topic classifier (SH-TOPIC-1): weighted terms per topic, written
//! per language (English, Spanish, Polish, Chinese) and matched on the text as the FAQ
//! matcher normalises it ([`super::faq_match::normalize`]: NFKC, lowercase, no
//! diacritics), so one table serves every language and a Spanish message quoting an
//! English word still counts it. A term is a word (`refund`), a word stem (`ship*`), a
//! phrase of them (`free shipping`), words anywhere in the message joined by `+`
//! (`cancel*+order*`), or, for Chinese, a substring (`退货`). A topic scores the weights
//! of its matched terms; the evidence is how far the best topic leads the next, and the
//! confidence is the precision measured at that lead on the dev set
//! (`core/tests/data/topics_dev.json`, [`CALIBRATION`]). Pure; compiled once.

use super::faq_match::normalize;
use super::topics::{Topic, TopicGuess};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The confidence by lead of the best topic over the next (index: the lead, capped at
/// the last): the share of right labels among the dev set's messages with that lead,
/// smoothed ((right + 1) / (n + 2): lead 1 3/4, lead 2 32/33, lead 3 88/89, lead 4+
/// 77/78), rounded down to a hundredth and never above a stronger lead's. Leads under
/// 1 (a tie) carry no topic. `topic_accuracy` prints the dev figures.
pub const CALIBRATION: [f32; 5] = [0.0, 0.75, 0.96, 0.98, 0.98];

/// One topic's terms in one language: `term=weight` pairs separated by `;`.
type Terms = (Topic, &'static str);

const ENGLISH: &[Terms] = &[
    (
        Topic::Checkout,
        "checkout=3; check out=2; pay*=1; payment method*=3; paypal=3; apple pay=3; google pay=3; \
         klarna=3; installment*=3; credit card=2; card+declin*=3; place order=2; charged twice=3; \
         complete* my purchase=3; complete* purchase=3; pay with=2; pay by=2; cart=1",
    ),
    (
        Topic::OrderEdits,
        "cancel*=2; cancel*+order*=3; change*+order*=2; chang*+address=2; modify*=2; \
         update* my order=3; add*+to my order=3; remove*+from my order=3; typo=2; swap*=2; \
         edit* my order=3; ordered the wrong=3; ordered+wrong=2; change it to=2",
    ),
    (
        Topic::OrderStatus,
        "where is my order=4; where is my=3; where s my=3; tracking=3; track*=2; shipped yet=3; \
         been shipped=3; has my order=2; hasn t arrived=3; hasnt arrived=3; not arrived=3; \
         haven t received=3; havent received=3; not received=3; status=2; in transit=3; \
         dispatch*=2; processing=2; when will you send=3; when will my order=2; any news=2; \
         any update*=2; still+arrived=2",
    ),
    (
        Topic::PricingDiscounts,
        "discount*=3; coupon*=3; promo*=3; price=2; prices=2; pricing=2; how much is=3; cost*=1; \
         sale=2; on sale=3; black friday=3; cheap*=2; better price=3; deal*=2; expensive=2; \
         price match=3; match the price=3",
    ),
    (
        Topic::ProductDetails,
        "material*=3; made of=3; fabric=3; dimension*=3; sizing=3; true to size=3; waterproof=3; \
         battery=3; weigh*=3; how big=3; leather=2; cotton=2; dishwasher=3; machine wash*=3; \
         what size should=3; come with=2; comes with=2; included=2; compatible=3; measure*=3; \
         specs=3; specification*=3; warranty=2; fit=1",
    ),
    (
        Topic::ProductInterest,
        "in stock=3; back in stock=4; restock*=3; available=2; availability=2; still have=2; \
         do you have=2; do you sell=3; recommend*=3; gift=2; other colo*=3; interested in=2; \
         looking for=2; similar=2; out of stock=3; sold out=3; larger size=2; in silver=2; \
         when back=2; have it in=3",
    ),
    (
        Topic::Returns,
        "return*=3; return policy=4; refund*=3; money back=3; send back=3; send it back=3; \
         exchange*=3; broken=2; damaged=3; defective=3; faulty=3; wrong colo*=2; wrong item=3; \
         received the wrong=3; missing=2; too small=2; too big=2",
    ),
    (
        Topic::Shipping,
        "ship to=3; do you ship=3; ship internationally=3; deliver to=3; do you deliver=3; \
         shipping=2; shipping cost*=3; free shipping=3; delivery time=3; how long+deliver*=3; \
         how many days+deliver*=3; courier=3; dhl=3; fedex=3; ups=2; express=2; customs=3; \
         international*=2; shipping free=3",
    ),
    (
        Topic::StoreInformation,
        "opening hours=3; open on=3; are you open=3; when are you open=3; hours=2; \
         physical store=3; visit=2; located=3; location=2; where are you based=3; based=1; \
         phone number=3; customer service=2; email address=3; showroom=3; pick up in store=3; \
         pick up=2; who owns=3; small business=2; where is your shop=3; where is your store=3; \
         sunday*=2; store address=3",
    ),
    (
        Topic::Wholesale,
        "wholesale=4; bulk=3; reseller*=3; resell*=3; retailer=2; distribut*=3; minimum order=3; \
         moq=4; units=2; pcs=2; boutique=2; stock your products=3; price list=2; catalog*=2; \
         for my company=2; our company=2; partnership=2",
    ),
];

const SPANISH: &[Terms] = &[
    (
        Topic::Checkout,
        "pago=2; pagar=2; bizum=3; tarjeta=2; rechaz*=2; finalizar la compra=3; \
         terminar la compra=3; carrito=1; contra reembolso=6; plazos=3; cuotas=3; me cobraron=3; \
         formas de pago=3; metodo* de pago=3; pagina de pago=3; boton de pagar=3",
    ),
    (
        Topic::OrderEdits,
        "cancelar=3; anular=3; modificar=2; cambiar la direccion=3; direccion+pedido=2; \
         cambi*+pedido=2; anadir=2; agregar=2; quit*+pedido=2; me equivoque=2; \
         talla equivocada=2; codigo postal=2",
    ),
    (
        Topic::OrderStatus,
        "donde esta mi pedido=4; donde esta mi=3; seguimiento=3; no ha llegado=3; \
         no me ha llegado=3; no he recibido=3; estado=2; en transito=3; ya enviaron=3; \
         cuando envian mi=3; cuando envian=2; cuando sale mi pedido=3; en preparacion=2; \
         no se ha enviado=3",
    ),
    (
        Topic::PricingDiscounts,
        "descuento*=3; cupon*=3; codigo promocional=3; promocion*=3; oferta*=2; rebaja*=3; \
         precio*=2; cuanto cuesta=3; barato=2; mas barato=3; caro=2",
    ),
    (
        Topic::ProductDetails,
        "tela=3; medidas=3; tamano=3; resistente al agua=3; impermeable=3; bateria=3; pesa=3; \
         peso=2; de piel=2; cuero=2; algodon=2; lavavajillas=3; lavar=2; viene pequen*=3; \
         viene grande=3; que talla me=3; incluido=2; viene con=2",
    ),
    (
        Topic::ProductInterest,
        "disponible=2; hay stock=3; repon*=3; volvera a estar=3; agotad*=3; todavia queda=3; \
         lo tienen en=3; tienen en=2; recomiend*=3; recomendar=3; regalo=2; venden=2; \
         me interesa=2; busco=2; otros colores=3; parecido=2; cuando vuelve=3",
    ),
    (
        Topic::Returns,
        "devol*=3; devuelv*=3; reembolso=3; roto=2; danado=3; defectuoso=3; equivocado=2; \
         cambiarlo=2; falta=2; me quedan pequen*=2; cambiar por=2",
    ),
    (
        Topic::Shipping,
        "envio=2; envios=2; envian a=3; hacen envios=3; gastos de envio=3; envio gratis=3; \
         envio es gratis=3; cuesta el envio=3; gratis=1; cuanto tarda=2; entrega=2; \
         transportista=3; correos=3; seur=3; urgente=2; aduana*=3; mandan a=2",
    ),
    (
        Topic::StoreInformation,
        "horario=3; abren=3; tienda fisica=3; ubicad*=3; direccion de la tienda=3; \
         direccion de su=3; telefono=3; atencion al cliente=2; correo electronico=3; \
         recoger en tienda=3; donde estan=3; domingo*=2; local=2; a que hora=3",
    ),
    (
        Topic::Wholesale,
        "por mayor=4; mayorista*=4; revend*=3; pedido minimo=3; cantidad minima=3; unidades=2; \
         piezas=2; volumen=2; minorista=2; catalogo=2; para mi empresa=2",
    ),
];

const POLISH: &[Terms] = &[
    (
        Topic::Checkout,
        "platno*=3; zaplac*=2; blik*=3; karta=2; odrzuc*=2; przy odbiorze=3; raty=3; ratach=3; \
         przelew*=2; koszyk=1; dokonczyc zakupu=3; pobralo=2",
    ),
    (
        Topic::OrderEdits,
        "anulow*=3; zmienic adres=3; zmien*+zamowien*=2; dodac+zamowien*=3; usun*+zamowien*=3; \
         pomylil*=2; literowk*=3; zmienic zamowienie=3; zmienic na=2",
    ),
    (
        Topic::OrderStatus,
        "gdzie jest moje=4; gdzie jest paczka=3; sledzeni*=3; nie dotarl*=3; nie otrzymal*=3; \
         zostalo wyslane=3; juz wyslane=3; kiedy wyslecie=3; w realizacji=2; w drodze=3; paczka=1",
    ),
    (
        Topic::PricingDiscounts,
        "rabat*=3; kupon*=3; kod promocyjny=3; promocj*=3; znizk*=3; ile kosztuje=3; cena=2; \
         ceny=2; cene=2; taniej=2; drogo=2; wyprzedaz*=3",
    ),
    (
        Topic::ProductDetails,
        "tkanin*=3; wymiar*=3; wodoodporn*=3; bateri*=3; ile wazy=3; skory=2; skora=2; \
         bawelna=2; zmywar*=3; standardowy=2; zanizony=3; w zestawie=3; jak duzy=3; \
         jaki rozmiar wybrac=3",
    ),
    (
        Topic::ProductInterest,
        "dostepn*=2; wroci do sprzedazy=3; wroci=2; na stanie=3; macie go w=3; macie w=2; \
         polec*=3; prezent=2; sprzedajecie=2; zainteresowan*=2; szukam=2; inne kolory=3; \
         podobnego=2; wyprzedane=3; kiedy beda=2; czy beda=2; wiekszy rozmiar=2",
    ),
    (
        Topic::Returns,
        "zwrot*=3; zwroc*=3; odesla*=3; wymieni*=3; uszkodzon*=3; wadliw*=3; reklamacj*=3; \
         zepsut*=2; brakuje=2; zly kolor=2; za male=2; za maly=2",
    ),
    (
        Topic::Shipping,
        "wysylk*=2; wysylacie do=3; wysylacie=2; koszt* wysylki=3; darmowa dostawa=3; dostawa=2; \
         dostawy=2; kurier*=3; inpost=3; dpd=3; ekspres*=2; clo=3; za granice=3; ile trwa=2",
    ),
    (
        Topic::StoreInformation,
        "godzin*=2; otwarci=3; otwieracie=3; stacjonarn*=3; gdzie znajduje sie=3; \
         gdzie jestescie=3; numer telefonu=3; obslug* klienta=2; adres email=3; adres sklepu=3; \
         adres waszego=3; odebrac osobiscie=3; niedziel*=2; firma=1; salon*=2",
    ),
    (
        Topic::Wholesale,
        "hurt*=4; hurcie=4; dystrybutor*=3; odsprzeda*=3; minimalne zamowienie=3; \
         minimalna ilosc=3; sztuk=2; butik=2; cennik=2; dla firmy=2; sieci=1",
    ),
];

const CHINESE: &[Terms] = &[
    (
        Topic::Checkout,
        "付款=2; 支付=3; 结账=3; 结算=3; 支付宝=3; 微信支付=3; 信用卡=2; 分期=3; 货到付款=3; \
         扣了两次=3; 付不了=3; 购物车=1; 付款方式=3",
    ),
    (
        Topic::OrderEdits,
        "取消=3; 修改订单=3; 修改=2; 改地址=3; 地址写错=3; 改成=2; 改一下=2; 加一件=3; 拍错=3; \
         删掉=2; 换成=2; 订单里=1",
    ),
    (
        Topic::OrderStatus,
        "到哪=3; 发货了吗=3; 还没发货=3; 物流=3; 没更新=2; 还没到=3; 还没收到=3; 状态=2; \
         快递单号=3; 单号=3; 什么时候发货=3; 处理中=2; 运输中=3",
    ),
    (
        Topic::PricingDiscounts,
        "优惠码=3; 优惠券=3; 优惠=2; 折扣=3; 打折=3; 多少钱=3; 价格=2; 便宜=2; 贵=1; 促销=3; \
         双十一=3; 降价=3; 什么价=3",
    ),
    (
        Topic::ProductDetails,
        "材质=3; 面料=3; 尺寸=3; 多大=2; 防水=3; 偏大=3; 偏小=3; 真皮=3; 电池=3; 包含=2; \
         洗碗机=3; 重量=3; 多重=3; 穿什么尺码=3",
    ),
    (
        Topic::ProductInterest,
        "补货=3; 有货=3; 推荐=3; 礼物=2; 配套=3; 感兴趣=2; 别的颜色=3; 其他颜色=3; 类似=2; \
         缺货=3; 大一号=2",
    ),
    (
        Topic::Returns,
        "退货=3; 退款=3; 退钱=3; 换货=3; 坏=2; 质量问题=3; 颜色不对=3; 少了=2; 退回=3; 怎么退=3; \
         换大=2; 破损=3",
    ),
    (
        Topic::Shipping,
        "寄到=3; 运费=3; 包邮=3; 哪家快递=3; 快递要=3; 顺丰=3; 加急=3; 配送=2; 关税=3; \
         国际运输=3; 发货要=3; 多久到=2",
    ),
    (
        Topic::StoreInformation,
        "营业时间=3; 营业=2; 实体店=3; 门店=3; 店在哪=3; 在什么地方=3; 客服电话=3; 电话=2; \
         邮箱=3; 自提=3; 几点开门=3; 开门=2; 店铺地址=3",
    ),
    (
        Topic::Wholesale,
        "批发=4; 代理=3; 拿货=3; 起订量=4; 经销商=3; 零售商=2; 采购=3; 大批量=3; 批量=3; 价目表=2",
    ),
];

/// One word of a term: exact, or a stem (`ship*`).
#[derive(Debug)]
struct WordPattern {
    text: String,
    stem: bool,
}

impl WordPattern {
    fn matches(&self, word: &str) -> bool {
        if self.stem { word.starts_with(&self.text) } else { word == self.text }
    }
}

/// How a term is found in a normalised message.
#[derive(Debug)]
enum Pattern {
    /// Every phrase somewhere in the words (one phrase for a plain term).
    Phrases(Vec<Vec<WordPattern>>),
    /// A substring (CJK text has no spaces).
    Substring(String),
}

/// A compiled term.
#[derive(Debug)]
struct Term {
    topic: Topic,
    weight: f32,
    pattern: Pattern,
}

fn phrase_at(words: &[&str], phrase: &[WordPattern]) -> bool {
    words.windows(phrase.len()).any(|w| w.iter().zip(phrase).all(|(word, p)| p.matches(word)))
}

impl Term {
    fn matches(&self, normalized: &str, words: &[&str]) -> bool {
        match &self.pattern {
            Pattern::Substring(s) => normalized.contains(s.as_str()),
            Pattern::Phrases(phrases) => phrases.iter().all(|p| phrase_at(words, p)),
        }
    }
}

fn compile_term(topic: Topic, spec: &str) -> Term {
    let (text, weight) = spec.trim().rsplit_once('=').expect("term=weight");
    let weight: f32 = weight.trim().parse().expect("a term's weight");
    let text = text.trim();
    let pattern = if text.chars().any(is_wide) {
        Pattern::Substring(normalize(text))
    } else {
        let phrase = |p: &str| {
            p.split_whitespace()
                .map(|w| WordPattern {
                    text: normalize(w.trim_end_matches('*')),
                    stem: w.ends_with('*'),
                })
                .collect()
        };
        Pattern::Phrases(text.split('+').map(phrase).collect())
    };
    Term { topic, weight, pattern }
}

/// Every language's terms, compiled and indexed.
static TERMS: LazyLock<TermIndex> = LazyLock::new(|| {
    let terms: Vec<Term> = [ENGLISH, SPANISH, POLISH, CHINESE]
        .iter()
        .flat_map(|lang| lang.iter())
        .flat_map(|(topic, specs)| specs.split(';').map(|s| compile_term(*topic, s)))
        .collect();
    TermIndex::new(terms)
});

/// How many leading characters of a stem key the stem index.
const STEM_KEY: usize = 3;

/// The terms, found from a message's words rather than tried one by one: a term can
/// only match where its first phrase's first word does, so each word of the message
/// looks up the terms starting with it (exactly, or by a stem's first
/// [`STEM_KEY`] characters), and only those are checked whole. Substrings are tried
/// only on texts with CJK characters (they all hold one).
struct TermIndex {
    terms: Vec<Term>,
    /// Terms whose first word is exact, by that word.
    exact: HashMap<String, Vec<usize>>,
    /// Terms whose first word is a stem, by the stem's first characters.
    stems: HashMap<String, Vec<usize>>,
    /// Substring terms.
    substrings: Vec<usize>,
}

fn key_of(word: &str, chars: usize) -> &str {
    word.char_indices().nth(chars).map_or(word, |(i, _)| &word[..i])
}

impl TermIndex {
    fn new(terms: Vec<Term>) -> Self {
        let mut index = TermIndex {
            terms: Vec::new(),
            exact: HashMap::new(),
            stems: HashMap::new(),
            substrings: Vec::new(),
        };
        for (i, term) in terms.iter().enumerate() {
            match &term.pattern {
                Pattern::Substring(_) => index.substrings.push(i),
                Pattern::Phrases(phrases) => {
                    let first = &phrases[0][0];
                    let (map, key) = if first.stem {
                        (&mut index.stems, key_of(&first.text, STEM_KEY))
                    } else {
                        (&mut index.exact, first.text.as_str())
                    };
                    map.entry(key.to_owned()).or_default().push(i);
                }
            }
        }
        index.terms = terms;
        index
    }

    /// The terms that may match a message's words (each once, in table order).
    fn candidates(&self, normalized: &str, words: &[&str]) -> Vec<usize> {
        let mut out = Vec::new();
        for word in words {
            out.extend(self.exact.get(*word).into_iter().flatten());
            for len in 1..=STEM_KEY {
                let key = key_of(word, len);
                out.extend(self.stems.get(key).into_iter().flatten());
                if key.len() == word.len() {
                    break;
                }
            }
        }
        if normalized.chars().any(is_wide) {
            out.extend(&self.substrings);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Whether a character is of the scripts written without spaces (as terms are split).
fn is_wide(c: char) -> bool {
    c as u32 >= 0x3000
}

/// Each topic's score for a text (the weights of its matched terms), by [`Topic::ALL`]
/// order.
pub fn scores(text: &str) -> [f32; 10] {
    scores_normalized(&normalize(text))
}

/// [`scores`] of a text already normalised ([`normalize`]).
pub fn scores_normalized(normalized: &str) -> [f32; 10] {
    let words: Vec<&str> = normalized.split(' ').collect();
    let mut out = [0.0; 10];
    for i in TERMS.candidates(normalized, &words) {
        let term = &TERMS.terms[i];
        if term.matches(normalized, &words) {
            out[term.topic as usize] += term.weight;
        }
    }
    out
}

/// The best topic and how far it leads the next, when any term matched.
pub fn evidence(text: &str) -> Option<(Topic, f32)> {
    evidence_of(scores(text))
}

fn evidence_of(scores: [f32; 10]) -> Option<(Topic, f32)> {
    let (best, top) = scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    if *top <= 0.0 {
        return None;
    }
    let second = scores.iter().enumerate().filter(|(i, _)| *i != best).map(|(_, s)| *s);
    let second = second.fold(0.0_f32, f32::max);
    Some((Topic::ALL[best], top - second))
}

/// The calibrated confidence of a lead ([`CALIBRATION`]).
pub fn confidence(lead: f32) -> f32 {
    let index = (lead.max(0.0).floor() as usize).min(CALIBRATION.len() - 1);
    CALIBRATION[index]
}

/// The topic of a customer's text, with its calibrated confidence (SH-TOPIC-1).
// rule: SH-TOPIC-1
pub fn classify(text: &str) -> Option<TopicGuess> {
    classify_normalized(&normalize(text))
}

/// [`classify`] of a text already normalised ([`normalize`]).
pub fn classify_normalized(normalized: &str) -> Option<TopicGuess> {
    let (topic, lead) = evidence_of(scores_normalized(normalized))?;
    let confidence = confidence(lead);
    (confidence > 0.0).then_some(TopicGuess { topic, confidence })
}

/// The built-in classifier (offline, inline).
#[derive(Clone, Copy, Debug, Default)]
pub struct BuiltInTopics;

#[async_trait::async_trait]
impl super::topics::TopicClassifier for BuiltInTopics {
    fn is_inline(&self) -> bool {
        true
    }

    async fn classify(&self, text: &str) -> Option<TopicGuess> {
        classify(text)
    }

    fn classify_normalized(&self, normalized: &str) -> Option<TopicGuess> {
        classify_normalized(normalized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_compiles_and_topics_index_in_order() {
        assert!(TERMS.terms.len() > 400);
        for i in &TERMS.substrings {
            let Pattern::Substring(s) = &TERMS.terms[*i].pattern else { panic!("substring") };
            assert!(s.chars().any(is_wide), "{s}: found only in texts with wide characters");
        }
        for (i, t) in Topic::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
        }
    }

    /// Every term tried on the text, as before the index.
    fn scores_trying_every_term(text: &str) -> [f32; 10] {
        let normalized = normalize(text);
        let words: Vec<&str> = normalized.split(' ').collect();
        let mut out = [0.0; 10];
        for term in &TERMS.terms {
            if term.matches(&normalized, &words) {
                out[term.topic as usize] += term.weight;
            }
        }
        out
    }

    #[test]
    fn the_index_finds_what_trying_every_term_finds() {
        let sets = [
            include_str!("../../tests/data/topics_dev.json"),
            include_str!("../../tests/data/topics_eval.json"),
        ];
        let mut compared = 0;
        for set in sets {
            let set: serde_json::Value = serde_json::from_str(set).unwrap();
            for case in set["cases"].as_array().unwrap() {
                let text = case["text"].as_str().unwrap();
                assert_eq!(scores(text), scores_trying_every_term(text), "{text}");
                compared += 1;
            }
        }
        assert!(compared > 500);
    }

    #[test]
    fn sh_topic_1_a_clear_message_in_each_language_gets_its_topic() {
        // rule: SH-TOPIC-1
        for text in [
            "Do you ship to Canada?",
            "¿hacen envíos a Perú?",
            "czy wysyłacie do Niemiec?",
            "能寄到加拿大吗？",
        ] {
            let guess = classify(text).expect(text);
            assert_eq!(guess.label(), Some(Topic::Shipping), "{text}");
        }
    }

    #[test]
    fn sh_topic_2_greetings_and_mixed_messages_get_no_label() {
        // rule: SH-TOPIC-2
        assert_eq!(classify("hello, anyone there?"), None);
        assert_eq!(classify("👍"), None);
        let mixed = classify("refund or exchange? and the shipping cost?");
        assert_eq!(mixed.and_then(TopicGuess::label), None, "{mixed:?}");
    }
}
