//! The demo's quick replies (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): each shop's set, made
//! by the main account through the API, with variables filled from the conversation and
//! Spanish and Chinese versions picked by the buyer's language. `tracking` names a
//! variable no demo order fills, so the web inbox shows an unfilled variable.

use super::DemoShop;
use super::setup::Api;
use anyhow::Context;
use reqwest::Method;
use serde_json::json;

/// Every shop's quick replies: group, title, default text, Spanish, Chinese.
const SHOP_SET: [(&str, &str, &str, &str, &str); 4] = [
    (
        "Orders",
        "order",
        "Hi {buyer_name}, thank you for your order {order_id}!",
        "Hola {buyer_name}, ¡gracias por tu pedido {order_id}!",
        "{buyer_name} 您好，感谢您的订单 {order_id}！",
    ),
    (
        "Orders",
        "status",
        "Your order {order_id} is {order_status}.",
        "Tu pedido {order_id} está {order_status}.",
        "您的订单 {order_id} 状态：{order_status}。",
    ),
    (
        "Shipping",
        "tracking",
        "Your parcel's tracking number is {tracking_number}.",
        "El número de seguimiento de tu paquete es {tracking_number}.",
        "您的包裹运单号是 {tracking_number}。",
    ),
    (
        "Greetings",
        "thanks",
        "Thank you for shopping at {shop_name}! — {agent_nickname}",
        "¡Gracias por comprar en {shop_name}! — {agent_nickname}",
        "感谢您光临{shop_name}！— {agent_nickname}",
    ),
];

/// Creates each shop's quick replies as the main account.
pub(super) async fn seed(api: &Api, owner_token: &str, shops: &[DemoShop]) -> anyhow::Result<()> {
    for shop in shops {
        for (group, title, text, es, zh) in SHOP_SET {
            let body = json!({
                "shop_id": shop.id, "group": group, "title": title, "text": text,
                "translations": [{"language": "es", "text": es}, {"language": "zh", "text": zh}],
            });
            api.call(Method::POST, "/api/v1/quick_replies", owner_token, Some(body))
                .await
                .with_context(|| format!("quick reply {title} of {}", shop.name))?;
        }
    }
    Ok(())
}
