//! Lazada Open Platform signatures as pure functions: the `sign` of every API call and
//! the `Authorization` header of push messages (README "Wire facts" gives the sources).

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(app_secret: &str, parts: &[&[u8]]) -> Hmac<Sha256> {
    let key = app_secret.as_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    parts.iter().for_each(|part| mac.update(part));
    mac
}

/// The `sign` of an API call: uppercase hex HMAC-SHA256, keyed by the app secret, of the
/// API path (`/im/message/send`) followed by `key + value` of every parameter but `sign`,
/// sorted by key in byte order. `params` are all parameters sent, common ones included.
pub fn api_sign(app_secret: &str, api_path: &str, params: &[(&str, &str)]) -> String {
    let mut pairs: Vec<&(&str, &str)> = params.iter().filter(|(k, _)| *k != "sign").collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut parts = vec![api_path.as_bytes()];
    parts.extend(pairs.iter().flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()]));
    hex::encode_upper(mac(app_secret, &parts).finalize().into_bytes())
}

/// The `Authorization` header of a push message: hex HMAC-SHA256, keyed by the app
/// secret, of the app key followed by the exact body (Lazada's sample is lowercase).
pub fn push_signature(app_key: &str, app_secret: &str, body: &[u8]) -> String {
    let mac = mac(app_secret, &[app_key.as_bytes(), body]);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a push's `Authorization` header (hex, either case) against the raw body, in
/// constant time. The error says why, without secrets.
pub fn verify_push(
    app_key: &str, app_secret: &str, body: &[u8], authorization: Option<&str>,
) -> Result<(), &'static str> {
    let header = authorization.ok_or("the push has no Authorization header")?;
    let claimed = hex::decode(header.trim()).map_err(|_| "the Authorization header is not hex")?;
    let mac = mac(app_secret, &[app_key.as_bytes(), body]);
    let mismatch = |_| "the Authorization header does not match the body";
    mac.verify_slice(&claimed).map_err(mismatch)
}
