//! Lazada's wire, sans I/O: gateways, signed requests, reply envelopes and their failures,
//! IM message templates both ways, and picture sizes.

use crate::sign::api_sign;
use serde_json::{Value, json};
use shopmux_contract::MessageContent as C;
use shopmux_contract::adapter::{AdapterError, HttpRequest, HttpResponse};

/// Where tokens are created and refreshed.
pub const AUTH_BASE: &str = "https://auth.lazada.com/rest";
/// Push `message_type` of IM messages.
pub(crate) const PUSH_IM_MESSAGE: i64 = 2;
// IM `template_id`s.
pub(crate) const TEXT: i64 = 1;
pub(crate) const IMAGE: i64 = 3;
pub(crate) const EMOJI: i64 = 4;
pub(crate) const ITEM: i64 = 10006;
pub(crate) const ORDER: i64 = 10007;
pub(crate) const VOUCHER: i64 = 10008;

/// The API gateway of a country (`SG`, `TH`, `MY`, `VN`, `ID`, `PH`: its domain's end).
pub fn gateway(region: &str) -> Option<String> {
    let region = region.to_ascii_lowercase();
    let domains = ["sg", "co.th", "com.my", "vn", "co.id", "com.ph"];
    let domain = domains.iter().find(|d| d.rsplit('.').next() == Some(region.as_str()))?;
    Some(format!("https://api.lazada.{domain}/rest"))
}

/// A JSON id or text as a string (Lazada sends ids as numbers or strings); null is empty.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A JSON number or numeric string; 0 otherwise.
pub fn int(value: &Value) -> i64 {
    let parsed = text(value).parse().ok();
    value.as_i64().or(parsed).unwrap_or(0)
}

/// Percent-encoding of query values (RFC 3986 unreserved characters kept).
pub use shopmux_contract::wire::percent_encode as encode;

/// Who signs a call, and when.
#[derive(Clone, Copy, Debug)]
pub struct Signer<'a> {
    /// The app key.
    pub app_key: &'a str,
    /// The app secret (the signing key).
    pub app_secret: &'a str,
    /// The seller's access token (none for token calls).
    pub access_token: Option<&'a str>,
    /// Now, Unix milliseconds (the `timestamp` parameter).
    pub now_ms: i64,
}

/// A signed call of `api` (`/im/message/send`) at `base` (`https://api.lazada.sg/rest`):
/// the common parameters `app_key`, `timestamp` (ms), `sign_method=sha256` and, when
/// given, `access_token` are added, everything is signed, and sent as the query (`GET`)
/// or as a form body (`POST`), as Lazada's SDK does.
pub fn signed_request(
    signer: &Signer<'_>, base: &str, api: &str, method: &str, params: &[(&str, String)],
) -> HttpRequest {
    let timestamp = signer.now_ms.to_string();
    let mut all = vec![("app_key", signer.app_key), ("timestamp", &timestamp)];
    all.push(("sign_method", "sha256"));
    all.extend(signer.access_token.map(|t| ("access_token", t)));
    all.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
    let sign = api_sign(signer.app_secret, api, &all);
    all.push(("sign", &sign));
    let pair = |(k, v): &(&str, &str)| format!("{k}={}", encode(v));
    let query = all.iter().map(pair).collect::<Vec<_>>().join("&");
    let (url, mut request) =
        (format!("{}{api}", base.trim_end_matches('/')), HttpRequest::default());
    (request.method, request.timeout_ms) = (method.into(), Some(10_000));
    if method == "GET" {
        request.url = format!("{url}?{query}");
    } else {
        let form = "application/x-www-form-urlencoded;charset=utf-8";
        request.headers.push(("content-type".into(), form.into()));
        (request.url, request.body) = (url, query.into_bytes());
    }
    request
}

/// A reply's JSON body, or the failure it reports, classified for the outbox: HTTP 408,
/// 429 and 5xx, `ApiCallLimit` and `ISP`/`SYSTEM` errors are transient; the gateway's
/// `IllegalAccessToken` is `token_expired`; other gateway errors (`code` not `"0"`) and
/// IM refusals (`success: false`) are permanent, named `lazada_<code>`.
pub fn reply(response: &HttpResponse) -> Result<Value, AdapterError> {
    let status = response.status;
    let http = || AdapterError::from_status(response, format!("Lazada answered HTTP {status}"));
    if status == 408 || status == 429 || status >= 500 {
        return Err(http());
    }
    let not_json = |_| AdapterError::permanent(format!("http_{status}"), "not Lazada's JSON");
    let body: Value = serde_json::from_slice(&response.body).map_err(not_json)?;
    let (code, message) = (text(&body["code"]), text(&body["message"]));
    let named = format!("lazada_{code}");
    match (code.as_str(), body["type"].as_str()) {
        ("" | "0", _) => {}
        ("IllegalAccessToken", _) => return Err(AdapterError::permanent("token_expired", message)),
        ("ApiCallLimit", _) => return Err(AdapterError::transient("rate_limited", message)),
        (_, Some("ISP" | "SYSTEM")) => return Err(AdapterError::transient(named, message)),
        _ => return Err(AdapterError::permanent(named, message)),
    }
    if body["success"] == json!(false) {
        let code = format!("lazada_{}", text(&body["err_code"]));
        return Err(AdapterError::permanent(code, text(&body["err_message"])));
    }
    if status == 200 { Ok(body) } else { Err(http()) }
}

/// The content of a message's template and card; `None` for a template shopmux does not
/// map or a card without its field.
pub fn inbound_content(template: i64, card: &str) -> Option<C> {
    let card: Value = serde_json::from_str(card).unwrap_or_else(|_| json!({ "txt": card }));
    let get = |name: &&str| Some(text(&card[*name])).filter(|v| !v.is_empty());
    let field = |names: &[&str]| names.iter().find_map(get);
    Some(match template {
        TEXT => C::Text { text: field(&["txt"])? },
        EMOJI => C::Emoji { code: field(&["txt", "emojiCode"])? },
        IMAGE => C::Image { url: field(&["imgUrl", "img_url", "url"])? },
        ITEM => {
            let product_id = field(&["itemId", "item_id"])?;
            let title = field(&["title", "itemTitle"]).unwrap_or_else(|| product_id.clone());
            C::ProductCard { product_id, title, url: None, image_url: None, price: None }
        }
        ORDER => C::OrderCard { order_id: field(&["orderId", "order_id"])?, status: None },
        VOUCHER => {
            let code = field(&["voucherId", "promotionId"])?;
            C::CouponCard { code, title: None, scope: None }
        }
        _ => return None,
    })
}

/// `/im/message/send` parameters (`template_id` and its field) for a message's content; a
/// picture also needs `width` and `height`, which the caller adds. Kinds Lazada cannot take
/// here are refused permanently (`unsupported_content`).
pub fn outbound_params(content: &C) -> Result<Vec<(&'static str, String)>, AdapterError> {
    let (template, key, value) = match content {
        C::Text { text } | C::AutoReply { text, .. } => (TEXT, "txt", text),
        C::Emoji { code } => (EMOJI, "txt", code),
        C::Image { url } => (IMAGE, "img_url", url),
        C::ProductCard { product_id, .. } => (ITEM, "item_id", product_id),
        C::OrderCard { order_id, .. } => (ORDER, "order_id", order_id),
        C::CouponCard { code, .. } => (VOUCHER, "promotion_id", code),
        other => {
            let kind = kind_name(other);
            let why = format!("Lazada's chat API cannot send `{kind}` (video needs an upload)");
            return Err(AdapterError::permanent("unsupported_content", why));
        }
    };
    if value.is_empty() {
        let why = format!("a `{}` message without its `{key}`", kind_name(content));
        return Err(AdapterError::permanent("bad_content", why));
    }
    Ok(vec![("template_id", template.to_string()), (key, value.clone())])
}

/// The content kind's wire name (`video`).
fn kind_name(content: &C) -> String {
    let name = serde_json::to_value(content.kind()).ok();
    name.and_then(|n| n.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Width and height of a PNG or JPEG from its first bytes (Lazada's picture
/// messages need them); `None` for other formats or too few bytes.
pub fn image_size(b: &[u8]) -> Option<(u32, u32)> {
    let at = |i: usize| b.get(i).copied().map(u32::from);
    let be16 = |i: usize| Some((at(i)? << 8) | at(i + 1)?);
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(((be16(16)? << 16) | be16(18)?, (be16(20)? << 16) | be16(22)?));
    }
    let mut i = 2;
    while b.starts_with(&[0xFF, 0xD8]) && at(i)? == 0xFF {
        let marker = at(i + 1)?;
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            return Some((be16(i + 7)?, be16(i + 5)?));
        }
        i += 2 + usize::try_from(be16(i + 2)?).ok()?;
    }
    None
}
