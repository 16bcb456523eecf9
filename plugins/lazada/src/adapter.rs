//! Lazada as a shopmux [`Adapter`](shopmux_contract::Adapter): IM pushes verified, replies
//! sent, conversations marked read, missed messages polled with a durable cursor, tokens
//! renewed, failures classified for the outbox. README "Connection" lists the credentials
//! and where renewed tokens go.

use crate::sign::verify_push;
use crate::wire::{self, int, text};
use serde_json::Value;
use shopmux_contract::MessageContent;
use shopmux_contract::adapter::{
    Adapter, AdapterError as E, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, BuyerMessage, Capabilities, Capability, EventBuyer, Host,
    HttpRequest, InboundEvent, OutboundMessage, Platform, PollPage, SendReceipt, ShopConnection,
    WebhookRequest,
};
use shopmux_contract::rules::RuleSet;
use std::collections::BTreeMap;

/// A first poll looks back this far.
const FIRST_POLL_LOOKBACK_MS: i64 = 7 * 24 * 3600 * 1000;
/// At most this many pages of conversations, and of messages per conversation, per poll.
const MAX_PAGES: usize = 10;
/// A list call: its API, the list in its `data`, and the parameter naming the last item.
type List = (&'static str, &'static str, &'static str);
const SESSIONS: List = ("/im/session/list", "session_list", "last_session_id");
const MESSAGES: List = ("/im/message/list", "message_list", "last_message_id");

type R<T> = Result<T, E>;
type Events = R<Vec<InboundEvent>>;
type Sent = R<SendReceipt>;
type Creds = BTreeMap<String, String>;
type Params = Vec<(&'static str, String)>;
type Args<'x> = [(&'x str, String)];
type Each<'e, 'a> = dyn FnMut(&mut Call<'a>, &Value) -> R<bool> + 'e;

/// The Lazada adapter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lazada;

fn malformed(e: impl std::fmt::Display) -> E {
    E::permanent("malformed", format!("unexpected answer: {e}"))
}

fn expiry(creds: &Creds) -> i64 {
    let at = creds.get("access_token_expires_at");
    at.and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// An IM message record (`/im/message/list` item, IM push `data`) as an inbound event: a
/// buyer's (`from_account_type` 1), not recalled (`status` 0), of a mapped template.
fn event(m: &Value, nickname: &str) -> InboundEvent {
    let template = int(&m["template_id"]);
    let from_buyer = int(&m["from_account_type"]) == 1 && int(&m["status"]) == 0;
    let content = wire::inbound_content(template, &text(&m["content"]));
    let Some(content) = content.filter(|_| from_buyer) else {
        let reason = format!("not a buyer message of a mapped template ({template})");
        return InboundEvent::Ignored { reason };
    };
    let (mut buyer, nickname) = (EventBuyer::default(), nickname.to_owned());
    (buyer.external_id, buyer.nickname) = (text(&m["from_account_id"]), Some(nickname));
    buyer.nickname.take_if(|n| n.is_empty());
    InboundEvent::Message(BuyerMessage {
        buyer,
        platform_message_id: text(&m["message_id"]),
        platform_conversation_id: Some(text(&m["session_id"])),
        content,
        sent_at_ms: Some(int(&m["send_time"])),
        order: None,
        entry_point: None,
    })
}

/// One adapter call: the host, the credentials in force, and those renewed on the way.
pub(crate) struct Call<'a> {
    host: &'a dyn Host,
    shop: &'a ShopConnection,
    creds: Creds,
    refreshed: Option<Creds>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(host: &'a dyn Host, shop: &'a ShopConnection) -> R<Self> {
        let (mut creds, refreshed) = (shop.credentials.clone(), None);
        let saved = host.kv_get(&format!("token:{}", shop.external_id))?;
        let saved = saved.and_then(|s| serde_json::from_str::<Creds>(&s).ok());
        let newer = saved.filter(|s| expiry(s) > expiry(&creds));
        creds.extend(newer.into_iter().flatten());
        Ok(Call { host, shop, creds, refreshed })
    }

    fn cred(&self, name: &str) -> R<&str> {
        let missing = || E::permanent("missing_credential", format!("no `{name}` credential"));
        let value = self.creds.get(name).filter(|v| !v.is_empty());
        value.map(String::as_str).ok_or_else(missing)
    }

    /// A signed API call; its reply's JSON body. Renews the token when refused as expired.
    fn api(&mut self, api: &str, method: &str, params: &Args<'_>) -> R<Value> {
        let renewable = self.refreshed.is_none() && self.creds.contains_key("refresh_token");
        let region = &self.shop.region;
        let base = self.shop.api_base.clone().or(wire::gateway(region));
        let no_gateway = || E::permanent("no_gateway", format!("no gateway for {region}"));
        let base = base.ok_or_else(no_gateway)?;
        match self.signed((&base, api, method), params, true) {
            Err(e) if e.code == "token_expired" && renewable => {
                self.refresh()?;
                self.signed((&base, api, method), params, true)
            }
            other => other,
        }
    }

    pub(crate) fn signed(
        &self, to: (&str, &str, &str), params: &Args<'_>, token: bool,
    ) -> R<Value> {
        let signer = wire::Signer {
            app_key: self.cred("app_key")?,
            app_secret: self.cred("app_secret")?,
            access_token: token.then(|| self.cred("access_token")).transpose()?,
            now_ms: self.host.now_unix_ms(),
        };
        let request = wire::signed_request(&signer, to.0, to.1, to.2, params);
        wire::reply(&self.host.http(request)?)
    }

    /// Renews the token pair (`/auth/token/refresh`) and keeps it.
    fn refresh(&mut self) -> R<()> {
        let base = self.creds.get("auth_base");
        let base = base.map_or(wire::AUTH_BASE, String::as_str);
        let params = [("refresh_token", self.cred("refresh_token")?.to_owned())];
        let body = self.signed((base, "/auth/token/refresh", "POST"), &params, false);
        let refused = |e: E| E::permanent("token_expired", format!("refused: {}", e.message));
        let body = body.map_err(|e| if e.retryable { e } else { refused(e) })?;
        let now = self.host.now_unix_ms() / 1000;
        let expires = |name: &str| (now + int(&body[name])).to_string();
        let refresh_at = expires("refresh_expires_in");
        let new = Creds::from([
            ("access_token".into(), text(&body["access_token"])),
            ("refresh_token".into(), text(&body["refresh_token"])),
            ("access_token_expires_at".into(), expires("expires_in")),
            ("refresh_token_expires_at".into(), refresh_at),
        ]);
        if new["access_token"].is_empty() || new["refresh_token"].is_empty() {
            return Err(malformed("the token reply has no tokens"));
        }
        let key = format!("token:{}", self.shop.external_id);
        let saved = serde_json::to_string(&new).map_err(malformed)?;
        self.host.kv_put(&key, &saved)?;
        self.host.log("Lazada access token refreshed.");
        self.creds.extend(new.clone());
        self.refreshed = Some(new);
        Ok(())
    }

    /// Pages back through a list from now (newest first) until `each` answers false.
    fn walk(&mut self, (api, name, last): List, params: Params, each: &mut Each<'_, 'a>) -> R<()> {
        let (mut start, mut last_id) = (self.host.now_unix_ms().to_string(), String::new());
        for _ in 0..MAX_PAGES {
            let mut page = params.clone();
            page.extend([("start_time", start), ("page_size", "20".to_owned())]);
            page.extend((!last_id.is_empty()).then_some((last, last_id)));
            let data = self.api(api, "GET", &page)?["data"].take();
            let items = data[name].as_array().cloned().unwrap_or_default();
            for item in &items {
                if !each(self, item)? {
                    return Ok(());
                }
            }
            if data["has_more"] != Value::Bool(true) || items.is_empty() {
                break;
            }
            (start, last_id) = (text(&data["next_start_time"]), text(&data[last]));
        }
        Ok(())
    }

    /// Width and height of the picture at `url`, from its first bytes.
    fn image_size(&self, url: &str) -> R<(u32, u32)> {
        let (mut request, range) = (HttpRequest::default(), "bytes=0-65535".into());
        (request.method, request.url) = ("GET".into(), url.into());
        request.headers.push(("range".into(), range));
        let got = self.host.http(request)?;
        if got.status >= 400 {
            let why = format!("the picture answered {}", got.status);
            return Err(E::from_status(&got, why));
        }
        let why = "Lazada needs the picture's size; it is not a PNG or JPEG";
        wire::image_size(&got.body).ok_or_else(|| E::permanent("image_size_unknown", why))
    }
}

impl Adapter for Lazada {
    fn platform(&self) -> &Platform {
        &crate::PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        use Capability::*;
        Capabilities::of(&[Webhooks, Sends, Polls, MarksRead, Authorizes])
    }

    fn authorization_url(
        &self, app: &AuthorizationApp, request: &AuthorizationRequest,
    ) -> R<String> {
        Ok(crate::connect::authorization_url(app, request))
    }

    fn verify_callback(
        &self, _app: &AuthorizationApp, query: &[(String, String)], _now: i64,
    ) -> R<AuthorizationCallback> {
        AuthorizationCallback::unsigned(query)
    }

    fn exchange_code(
        &self, host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
    ) -> R<AuthorizationGrant> {
        crate::connect::exchange_code(host, app, callback)
    }

    fn authorized_shops(
        &self, _host: &dyn Host, app: &AuthorizationApp, grant: &AuthorizationGrant,
    ) -> R<Vec<AuthorizedShop>> {
        crate::connect::authorized_shops(app, grant)
    }

    fn rule_set(&self) -> RuleSet {
        crate::rule_set()
    }

    fn parse_webhook(&self, shop: &ShopConnection, req: &WebhookRequest, _: i64) -> Events {
        let (key, secret) = (shop.credential("app_key")?, shop.credential("app_secret")?);
        verify_push(key, secret, &req.body, req.header("authorization"))
            .map_err(|why| E::permanent("bad_signature", why))?;
        let push: Value = serde_json::from_slice(&req.body).map_err(malformed)?;
        let seller = text(&push["seller_id"]);
        if !seller.is_empty() && seller != shop.external_id {
            return Err(E::permanent("wrong_shop", "the push is for another seller"));
        }
        let kind = int(&push["message_type"]);
        let reason = format!("push message_type {kind}");
        Ok(vec![match kind {
            wire::PUSH_IM_MESSAGE => event(&push["data"], ""),
            _ => InboundEvent::Ignored { reason },
        }])
    }

    /// Without a known conversation, an order card opens one from its order
    /// (`/im/session/open`, LZ-INIT-1); other messages need the buyer's conversation.
    fn send(&self, host: &dyn Host, shop: &ShopConnection, msg: &OutboundMessage) -> Sent {
        let mut call = Call::new(host, shop)?;
        let mut params = wire::outbound_params(&msg.content)?;
        let session = match (msg.platform_conversation_id.clone(), &msg.content) {
            (Some(session), _) => session,
            (None, MessageContent::OrderCard { order_id, .. }) => {
                let order = [("order_id", order_id.clone())];
                let opened = call.api("/im/session/open", "POST", &order)?;
                let ids = [&opened["session_id"], &opened["data"]["session_id"]].map(text);
                let id = ids.into_iter().find(|s| !s.is_empty());
                id.ok_or_else(|| malformed("no session_id"))?
            }
            (None, _) => {
                return Err(E::permanent("no_conversation", "no Lazada conversation yet"));
            }
        };
        if let MessageContent::Image { url } = &msg.content {
            let (width, height) = call.image_size(url)?;
            params.extend([("width", width.to_string()), ("height", height.to_string())]);
        }
        params.push(("session_id", session));
        let body = call.api("/im/message/send", "POST", &params)?;
        let platform_message_id = text(&body["data"]["message_id"]);
        if platform_message_id.is_empty() {
            return Err(malformed("the send reply has no message_id"));
        }
        let mut receipt = SendReceipt::sent(platform_message_id);
        receipt.refreshed_credentials = call.refreshed;
        Ok(receipt)
    }

    fn mark_read(&self, host: &dyn Host, shop: &ShopConnection, conversation: &str) -> R<()> {
        let mut call = Call::new(host, shop)?;
        let session = ("session_id", conversation.to_owned());
        let detail = call.api("/im/session/get", "GET", std::slice::from_ref(&session))?;
        let last = text(&detail["data"]["last_message_id"]);
        if !last.is_empty() {
            let params = [session, ("last_read_message_id", last)];
            call.api("/im/session/read", "POST", &params)?;
        }
        Ok(())
    }

    /// The cursor is `"<ms>:<id>,<id>"`: the newest `send_time` seen and the messages sent
    /// at that millisecond, so one stamped the same millisecond but listed later is new.
    fn poll(&self, host: &dyn Host, shop: &ShopConnection, cursor: Option<&str>) -> R<PollPage> {
        let mut call = Call::new(host, shop)?;
        let (at, ids) = cursor.and_then(|c| c.split_once(':')).unwrap_or(("", ""));
        let first = host.now_unix_ms() - FIRST_POLL_LOOKBACK_MS;
        let since: i64 = at.parse().unwrap_or(first);
        let seen: Vec<&str> = ids.split(',').filter(|i| !i.is_empty()).collect();
        let mut at_newest: Vec<String> = seen.iter().map(|i| i.to_string()).collect();
        let (mut newest, mut found) = (since, Vec::new());
        // Conversations and messages come newest first: each walk stops at an older one.
        call.walk(SESSIONS, vec![], &mut |call, s| {
            if int(&s["last_message_time"]) < since {
                return Ok(false);
            }
            let (session, nickname) = (text(&s["session_id"]), text(&s["title"]));
            call.walk(MESSAGES, vec![("session_id", session)], &mut |_, m| {
                let (at_ms, id) = (int(&m["send_time"]), text(&m["message_id"]));
                if at_ms > since || (at_ms == since && !seen.contains(&id.as_str())) {
                    if at_ms > newest {
                        (newest, at_newest) = (at_ms, vec![]);
                    }
                    at_newest.extend((at_ms == newest).then(|| id.clone()));
                    found.push((at_ms, event(m, &nickname)));
                }
                Ok(at_ms >= since)
            })?;
            Ok(true)
        })?;
        found.sort_by_key(|(at, _)| *at);
        let events = found.into_iter().map(|(_, e)| e);
        let events = events.filter(|e| matches!(e, InboundEvent::Message(BuyerMessage { .. })));
        let cursor = Some(format!("{newest}:{}", at_newest.join(",")));
        let events = events.collect();
        Ok(PollPage { events, cursor })
    }
}
