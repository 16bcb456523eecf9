//! An authorization's `state` (CSRF), pure: `{nonce}.{mac}` — 32 random bytes and the
//! MAC of the platform and the nonce under the daemon's key, both base64url. The MAC
//! refuses a forged or another platform's state before the database is asked; the
//! database holds only the SHA-256 of the nonce, with the owner it is bound to, and
//! takes it once before it expires (`storage::connect_states`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// How long a started authorization may be completed.
pub const STATE_TTL: chrono::Duration = chrono::Duration::minutes(10);

/// The longest state read back (a nonce, a MAC and their dot).
pub const MAX_STATE_CHARS: usize = 128;

/// What the MAC covers: the platform, then the nonce.
pub fn mac_input(platform: &str, nonce: &[u8]) -> Vec<u8> {
    let mut data = b"connect-state\0".to_vec();
    data.extend_from_slice(platform.as_bytes());
    data.push(0);
    data.extend_from_slice(nonce);
    data
}

/// The state handed to the platform.
pub fn encode(nonce: &[u8], mac: &[u8]) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(nonce), URL_SAFE_NO_PAD.encode(mac))
}

/// A state's nonce and MAC, if it has the shape.
pub fn decode(state: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    if state.len() > MAX_STATE_CHARS {
        return None;
    }
    let (nonce, mac) = state.split_once('.')?;
    let nonce = URL_SAFE_NO_PAD.decode(nonce).ok().filter(|n| n.len() == 32)?;
    Some((nonce, URL_SAFE_NO_PAD.decode(mac).ok()?))
}

/// What the database keys a state by: hex SHA-256 of its nonce.
pub fn nonce_hash(nonce: &[u8]) -> String {
    hex::encode(Sha256::digest(nonce))
}

/// Whether two MACs are equal, in constant time.
pub fn same_mac(expected: &[u8], given: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == given.len() && bool::from(expected.ct_eq(given))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_reads_back_and_malformed_ones_do_not() {
        let state = encode(&[7; 32], &[9; 32]);
        assert_eq!(decode(&state), Some((vec![7; 32], vec![9; 32])));
        assert_eq!(decode("no-dot"), None);
        assert_eq!(decode(&encode(&[7; 31], &[9; 32])), None);
        assert_eq!(decode(&"a".repeat(200)), None);
        assert!(
            same_mac(&[1, 2], &[1, 2]) && !same_mac(&[1, 2], &[1, 3]) && !same_mac(&[1], &[1, 2])
        );
        assert_ne!(mac_input("shopify", &[1]), mac_input("tiktok", &[1]));
        assert_eq!(nonce_hash(&[0; 32]).len(), 64);
    }
}
