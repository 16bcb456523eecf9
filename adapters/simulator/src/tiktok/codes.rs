//! The `code` values and HTTP statuses the TikTok simulator answers with.
//!
//! Every reply uses TikTok's envelope `{"code","message","request_id","data"}` (§1.1); errors
//! carry `"data": null`. Sources: 106001 and 36009004 are in §1.1. The other platform codes
//! come from third-party client code quoting TikTok's "Common errors" page
//! (partner.tiktokshop.com/docv2/page/common-errors), not from the page itself: 36009004 is
//! overloaded (bad `app_key`, missing `sign`, bad `timestamp`, invalid access-token header,
//! unexpected `shop_cipher`), 105002 expired credentials, 106013 missing or wrong
//! `shop_cipher`, 101000 token not authorized for the shop, 36009002 rate limit, 36009003
//! internal error, 36009009 invalid path. HTTP statuses observed in public reports: 401 for
//! 106001, 400 for a bad `app_key` (36009004), 404 for 36009009, 401 and 200 both reported
//! for 105002. Where nothing was found the choice is the simulator's, marked "chosen".
//! Codes in the 99000000 block are the simulator's own; no TikTok code is known for them.

/// Success.
pub const SUCCESS: i64 = 0;
/// Invalid `sign`. HTTP 401.
pub const INVALID_SIGN: i64 = 106001;
/// The overloaded "invalid parameter / credentials" code: bad `app_key` (HTTP 400), missing
/// `sign` (401, chosen), `timestamp` outside ±5 minutes or unreadable (401, chosen), missing
/// or unknown `x-tts-access-token` (401, chosen), `shop_cipher` on a call that takes none
/// (400, chosen), a malformed query, body or paging parameter (400, chosen), and on the
/// auth host a wrong `app_key`/`app_secret`/`grant_type` (400, chosen).
pub const INVALID_PARAMETER: i64 = 36009004;
/// Expired access token. HTTP 401.
pub const EXPIRED_CREDENTIALS: i64 = 105002;
/// Missing or unknown `shop_cipher` on a shop-scoped call. HTTP 400 (chosen).
pub const INVALID_SHOP_CIPHER: i64 = 106013;
/// The access token is valid but the `shop_cipher` belongs to another seller. HTTP 403
/// (chosen).
pub const SHOP_NOT_AUTHORIZED: i64 = 101000;
/// Rate limited (the `rate_limit` fault). HTTP 429 with `retry-after`.
pub const RATE_LIMITED: i64 = 36009002;
/// Internal error (the server-error faults). HTTP `Faults::server_error_status`.
pub const INTERNAL_ERROR: i64 = 36009003;
/// No such path or method. HTTP 404.
pub const INVALID_PATH: i64 = 36009009;
/// Auth host: unknown, revoked or expired `refresh_token`. HTTP 401 (chosen; the code is
/// one a third-party client lists among TikTok's authentication codes, its exact meaning
/// unconfirmed).
pub const INVALID_REFRESH_TOKEN: i64 = 36004004;
/// No conversation with this id in the shop. HTTP 200 (a business error; simulator's code).
pub const CONVERSATION_NOT_FOUND: i64 = 99_000_001;
/// The conversation's `can_send_message` is false. HTTP 200 (simulator's code).
pub const CANNOT_SEND_MESSAGE: i64 = 99_000_002;
/// The message `type`, `content` or `sender_role` is not sendable (unknown or receive-only
/// type, content not the type's JSON shape, TEXT empty or over 2000 characters, an IMAGE
/// whose `url` the shop did not upload). HTTP 200 (simulator's code).
pub const INVALID_MESSAGE: i64 = 99_000_003;
/// An uploaded image is not jpg, gif, webp or png, its header cannot be read, or it is
/// over 10 MB. HTTP 200 (simulator's code; the limits are the platform's documented ones).
pub const INVALID_IMAGE: i64 = 99_000_004;
