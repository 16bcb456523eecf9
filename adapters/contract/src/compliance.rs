//! A platform's off-platform contact policy as data: what an agent's reply must not carry
//! because the marketplace penalises sellers who move buyers off it (phone numbers,
//! email addresses, links outside the platform's own domains, messenger handles, payment
//! outside the platform), each policy tagged with its ID. The core's one checker reads
//! these; nothing here decides anything.
//!
//! Policy IDs: the shared set of [`Compliance::standard`] uses `OFF-PHONE-1`,
//! `OFF-EMAIL-1`, `OFF-LINK-1`, `OFF-MSG-1` and `OFF-PAY-1` on every platform that adopts
//! it (the same risk everywhere); an adapter may add policies of its own, prefixed with
//! its rule prefix (`TT-OFF-1`). A shop's owner may add word policies of the shop's own.

use crate::rules::RuleId;
use serde::{Deserialize, Serialize};

/// What a policy looks for. `phone`, `email` and `link` have a structural detector in
/// the core (plus the policy's words); `messenger`, `payment` and `words` are their
/// words only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Phone numbers (international and national forms, spaced, dashed, spelled out).
    Phone,
    /// Email addresses, also written `name at mail dot com`.
    Email,
    /// Links and bare domains outside the platform's allowed domains.
    Link,
    /// Messenger apps and handles (WhatsApp, WeChat, Telegram...).
    Messenger,
    /// Payment outside the platform (bank transfer, "pay me directly"...).
    Payment,
    /// Any other words the policy lists.
    Words,
}

impl PolicyKind {
    /// Its name as written in the data (`phone`, `messenger`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Link => "link",
            Self::Messenger => "messenger",
            Self::Payment => "payment",
            Self::Words => "words",
        }
    }
}

/// One policy: an ID, a kind and its words.
///
/// Words are matched after the same normalisation as the draft (NFKC, lower case, no
/// diacritics), on word boundaries for Latin letters and anywhere for Chinese; a space
/// in a word matches any run of spaces and punctuation (or none); a `*` at the end of a
/// word matches any ending (`przelew*` finds `przelewem`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPolicy {
    /// The policy ID, such as `OFF-PHONE-1`.
    pub id: RuleId,
    /// What it looks for.
    pub kind: PolicyKind,
    /// Words and phrases that break it, in every buyer language.
    #[serde(default)]
    pub words: Vec<String>,
}

/// A platform's off-platform contact policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compliance {
    /// The platform's own domains: links to them or their subdomains are fine
    /// (`example.com` allows `shop.example.com`).
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// The policies; none: nothing is checked.
    #[serde(default)]
    pub policies: Vec<ContactPolicy>,
}

/// The standard policy IDs.
pub mod ids {
    /// Phone numbers.
    pub const PHONE: &str = "OFF-PHONE-1";
    /// Email addresses.
    pub const EMAIL: &str = "OFF-EMAIL-1";
    /// Links outside the platform's domains.
    pub const LINK: &str = "OFF-LINK-1";
    /// Messenger apps and handles.
    pub const MESSENGER: &str = "OFF-MSG-1";
    /// Payment outside the platform.
    pub const PAYMENT: &str = "OFF-PAY-1";
}

/// Phrases that offer a phone contact, in English, Spanish, Polish and Chinese.
pub const PHONE_WORDS: &[&str] = &[
    "call me",
    "text me",
    "my phone number",
    "my number is",
    "my cell",
    "llamame",
    "mi numero de telefono",
    "mi telefono",
    "mi movil",
    "mi celular",
    "zadzwon do mnie",
    "moj numer telefonu",
    "moj telefon",
    "打电话给我",
    "给我打电话",
    "我的电话",
    "我的手机",
    "手机号",
    "电话号码",
];

/// Phrases that offer an email contact.
pub const EMAIL_WORDS: &[&str] = &[
    "email me",
    "e-mail me",
    "my email",
    "my e-mail",
    "gmail",
    "hotmail",
    "escribeme al correo",
    "mi correo",
    "mi email",
    "moj email",
    "moj e-mail",
    "moj mail",
    "napisz maila",
    "我的邮箱",
    "邮箱地址",
    "发邮件",
];

/// Phrases that point to a website of the seller's own.
pub const LINK_WORDS: &[&str] = &[
    "my website",
    "our website",
    "mi pagina web",
    "nuestra pagina web",
    "moja strona",
    "nasza strona",
    "我的网站",
    "独立站",
    "官网下单",
];

/// Messenger apps, their nicknames and handles, and "add me" phrases.
pub const MESSENGER_WORDS: &[&str] = &[
    "whatsapp*",
    "whats app",
    "wasap",
    "guasap",
    "wa.me",
    "wechat",
    "weixin",
    "telegram*",
    "t.me",
    "line id",
    "line app",
    "add me on line",
    "viber*",
    "instagram*",
    "insta dm",
    "ig dm",
    "facebook messenger",
    "messenger",
    "skype*",
    "kakaotalk",
    "snapchat",
    "signal app",
    "add me on",
    "dm me",
    "agregame",
    "escribeme por",
    "dodaj mnie",
    "napisz na priv",
    "微信",
    "威信",
    "薇信",
    "v信",
    "vx",
    "wx",
    "加我",
    "加微",
    "私聊",
    "qq号",
    "电报",
];

/// Payment outside the platform.
pub const PAYMENT_WORDS: &[&str] = &[
    "paypal",
    "pay me directly",
    "pay directly",
    "direct payment",
    "bank transfer",
    "wire transfer",
    "western union",
    "moneygram",
    "venmo",
    "zelle",
    "cash app",
    "iban",
    "swift code",
    "outside the platform",
    "off the platform",
    "transferencia",
    "pago directo",
    "pagame directamente",
    "paga directamente",
    "cuenta bancaria",
    "bizum",
    "fuera de la plataforma",
    "przelew*",
    "blik",
    "numer konta",
    "zaplac bezposrednio",
    "platnosc bezposrednia",
    "poza platforma",
    "支付宝",
    "转账",
    "银行卡",
    "汇款",
    "打款",
    "私下交易",
    "私下付款",
    "直接付款",
    "线下交易",
    "微信支付",
];

fn owned(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

impl Compliance {
    /// The shared policy set (`OFF-PHONE-1`, `OFF-EMAIL-1`, `OFF-LINK-1`, `OFF-MSG-1`,
    /// `OFF-PAY-1`, with their words in English, Spanish, Polish and Chinese), allowing
    /// links to `allowed_domains`.
    pub fn standard(allowed_domains: &[&str]) -> Self {
        let policy = |id: &str, kind: PolicyKind, words: &[&str]| ContactPolicy {
            id: id.into(),
            kind,
            words: owned(words),
        };
        Self {
            allowed_domains: owned(allowed_domains),
            policies: vec![
                policy(ids::PHONE, PolicyKind::Phone, PHONE_WORDS),
                policy(ids::EMAIL, PolicyKind::Email, EMAIL_WORDS),
                policy(ids::LINK, PolicyKind::Link, LINK_WORDS),
                policy(ids::MESSENGER, PolicyKind::Messenger, MESSENGER_WORDS),
                policy(ids::PAYMENT, PolicyKind::Payment, PAYMENT_WORDS),
            ],
        }
    }

    /// The policy IDs, in order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.policies.iter().map(|p| p.id.as_str())
    }

    /// Checks the data: policy IDs unique, every word 1 to 100 characters and not only
    /// spaces, domains plain host names (letters, digits, `-`, `.`; a dot inside).
    pub fn validate(&self) -> Result<(), String> {
        for (i, p) in self.policies.iter().enumerate() {
            if self.policies[..i].iter().any(|q| q.id == p.id) {
                return Err(format!("compliance.policies: {} appears twice", p.id));
            }
            for w in &p.words {
                if w.trim().is_empty() || w.chars().count() > 100 {
                    return Err(format!(
                        "compliance.policies ({}): the word {w:?} is not 1 to 100 characters",
                        p.id
                    ));
                }
            }
        }
        for d in &self.allowed_domains {
            if !is_domain(d) {
                return Err(format!("compliance.allowed_domains: {d:?} is not a domain name"));
            }
        }
        Ok(())
    }
}

/// A plain lower-case host name: labels of letters, digits and `-`, at least two, at most
/// 253 characters.
pub fn is_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_set_reads_back_and_validates() {
        let set = Compliance::standard(&["example.com"]);
        assert_eq!(
            set.rule_ids().collect::<Vec<_>>(),
            ["OFF-PHONE-1", "OFF-EMAIL-1", "OFF-LINK-1", "OFF-MSG-1", "OFF-PAY-1"]
        );
        assert_eq!(set.validate(), Ok(()));
        let back: Compliance = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn bad_domains_duplicates_and_blank_words_are_refused() {
        let mut set = Compliance::standard(&["Example.com"]);
        assert!(set.validate().unwrap_err().contains("Example.com"));
        set.allowed_domains = vec!["example.com".into()];
        set.policies[1].words.push("  ".into());
        assert!(set.validate().unwrap_err().contains("OFF-EMAIL-1"));
        set.policies[1].words.pop();
        set.policies.push(set.policies[0].clone());
        assert!(set.validate().unwrap_err().contains("twice"));
        let json = r#"{"policies": [{"id": "X-1", "kind": "smoke_signals"}]}"#;
        assert!(serde_json::from_str::<Compliance>(json).is_err());
    }
}
