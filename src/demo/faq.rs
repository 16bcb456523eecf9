//! The demo's FAQ bot (DY-BOT-1..4, DY-GREET-1): switched on for the Spanish TikTok
//! shop, with a small FAQ and a greeting in Spanish, English, Polish and Chinese. The
//! lane's first story ([`BOT_STORY`]) asks one question the bot recognises, then two it
//! does not: the bot answers, asks to rephrase, and hands the buyer to the agents.

use shopmux_core::Inbox;
use shopmux_core::domain::faq_bot::{BotSettings, FaqQuestionInput};
use shopmux_core::domain::ids::ShopId;
use shopmux_core::domain::viewer::Viewer;

/// The demo FAQ: category, phrasings, answer, Spanish answer.
pub(super) const FAQ: &[(&str, &[&str], &str, &str)] = &[
    (
        "envíos",
        &[
            "How long does shipping take?",
            "¿Cuánto tarda el envío?",
            "Ile trwa wysyłka?",
            "发货要多久？",
        ],
        "Orders ship within 24 h and arrive in 2 to 4 working days.",
        "Enviamos en 24 h y llega en 2 a 4 días laborables.",
    ),
    (
        "devoluciones",
        &[
            "Can I return an item?",
            "¿Aceptáis devoluciones?",
            "Czy mogę zwrócić towar?",
            "可以退货吗？",
        ],
        "Yes: 30 days to return it, free of charge.",
        "Sí: tienes 30 días para devolverlo, sin coste.",
    ),
    (
        "pagos",
        &[
            "Which payment methods do you accept?",
            "¿Qué métodos de pago aceptáis?",
            "Jakie formy płatności?",
            "支持哪些付款方式？",
        ],
        "Cards, PayPal and Bizum.",
        "Tarjeta, PayPal y Bizum.",
    ),
];

/// The Spanish lane's bot story: recognised, then two questions the FAQ does not answer.
pub(super) const BOT_STORY: &[&str] = &[
    "Hola, ¿cuánto tarda el envío a Valencia?",
    "¿Tenéis el jarrón azul en stock?",
    "¿Y hacéis envoltorio para regalo?",
];

/// Writes the FAQ and switches the bot on for `shop`, with a greeting and FAQ list.
pub(super) async fn switch_on(inbox: &Inbox, owner: &Viewer, shop: ShopId) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for (category, phrasings, answer, spanish) in FAQ {
        let input = FaqQuestionInput {
            category: (*category).into(),
            phrasings: phrasings.iter().map(|p| (*p).to_owned()).collect(),
            answer: (*answer).into(),
            answers: [("es".to_owned(), (*spanish).to_owned())].into(),
            related: ids.clone(),
        };
        ids.push(inbox.create_faq_question(owner, shop, input).await?.id);
    }
    let settings = BotSettings {
        enabled: true,
        greeting: "¡Hola! Soy el asistente de la tienda. ¿En qué te ayudo?".into(),
        greetings: [
            ("en", "Hi! I am the shop's assistant. How can I help?"),
            ("pl", "Cześć! Jestem asystentem sklepu. W czym mogę pomóc?"),
            ("zh", "您好！我是店铺助手，有什么可以帮您？"),
        ]
        .map(|(l, t)| (l.to_owned(), t.to_owned()))
        .into(),
        faq: ids,
        ..Default::default()
    };
    inbox.set_shop_bot(owner, shop, settings).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_core::domain::faq_bot::{HandOffReason, Turn, decide};
    use shopmux_core::domain::faq_match::FaqIndex;

    #[test]
    fn dy_bot_3_the_demo_story_is_answered_once_then_handed_over_after_two_misses() {
        // rule: DY-BOT-3
        let phrasings: Vec<Vec<String>> =
            FAQ.iter().map(|(_, p, _, _)| p.iter().map(|s| (*s).to_owned()).collect()).collect();
        let ids: Vec<shopmux_core::domain::ids::FaqQuestionId> =
            (0..FAQ.len()).map(|_| Default::default()).collect();
        let index = FaqIndex::build(ids.iter().copied().zip(phrasings.iter().map(Vec::as_slice)));
        assert_eq!(decide(&index, 0, BOT_STORY[0]), Turn::Answer(ids[0]));
        assert_eq!(decide(&index, 0, BOT_STORY[1]), Turn::Rephrase(1));
        assert_eq!(decide(&index, 1, BOT_STORY[2]), Turn::HandOff(HandOffReason::Misses));
    }
}
