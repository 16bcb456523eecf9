//! Secrets at rest: shop connection credentials are sealed with ChaCha20-Poly1305
//! (ring's AEAD) under the daemon's 32-byte key before they reach the database, bound to
//! their shop (the shop id is the associated data, so a sealed value copied to another
//! shop does not open). A sealed value is `sealed1:` + hex(nonce ‖ ciphertext ‖ tag).
//! Values written before sealing existed (plain JSON) still read, and are sealed on
//! their next write. The key's [`Sealer::fingerprint`] (an HMAC of a fixed label under the
//! key, never the key) is recorded in the database at first start (see `sealing_key`), so a
//! daemon started with another key refuses to start instead of sealing with two keys.

use crate::error::{CoreError, CoreResult};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

const PREFIX: &str = "sealed1:";
/// What the key's fingerprint is the HMAC of.
const FINGERPRINT_LABEL: &[u8] = b"shopmux sealing key fingerprint v1";

/// What the key authenticating handed-out values is derived with.
const MAC_LABEL: &[u8] = b"shopmux handed-out value mac v1";

/// The daemon's sealing key.
pub struct Sealer {
    key: LessSafeKey,
    /// Authenticates values the daemon hands out and gets back (an authorization's
    /// state): HMAC-SHA256 under a key derived from the sealing key.
    mac_key: hmac::Key,
    rng: SystemRandom,
    fingerprint: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer with this key.
    pub fn new(key: &[u8; 32]) -> Self {
        let root = hmac::Key::new(hmac::HMAC_SHA256, key);
        let fingerprint = hex::encode(hmac::sign(&root, FINGERPRINT_LABEL));
        let mac_key = hmac::Key::new(hmac::HMAC_SHA256, hmac::sign(&root, MAC_LABEL).as_ref());
        let key = UnboundKey::new(&CHACHA20_POLY1305, key).expect("a 32-byte key");
        Self { key: LessSafeKey::new(key), mac_key, rng: SystemRandom::new(), fingerprint }
    }

    /// The key's fingerprint: hex HMAC-SHA256 of a fixed label under the key. It names the
    /// key without revealing it (what the database records).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A fresh random key, as 64 hex characters (what a key file holds).
    pub fn generate_key_hex() -> CoreResult<String> {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| CoreError::Unavailable("no system randomness"))?;
        Ok(hex::encode(key))
    }

    /// Reads a key written as 64 hex characters.
    pub fn key_from_hex(text: &str) -> Result<[u8; 32], String> {
        let bytes = hex::decode(text.trim()).map_err(|_| "not hex".to_owned())?;
        bytes.try_into().map_err(|_| "a key is 32 bytes (64 hex characters)".to_owned())
    }

    /// The HMAC-SHA256 of `data` under the key derived for handed-out values.
    pub fn mac(&self, data: &[u8]) -> Vec<u8> {
        hmac::sign(&self.mac_key, data).as_ref().to_vec()
    }

    /// Seals `plain` for `context` (the shop id).
    pub fn seal(&self, context: &str, plain: &str) -> CoreResult<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| CoreError::Unavailable("no system randomness"))?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| CoreError::Unavailable("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", hex::encode(out)))
    }

    /// Opens what [`Sealer::seal`] made for `context`.
    pub fn open(&self, context: &str, sealed: &str) -> CoreResult<String> {
        let broken = || {
            CoreError::invalid(
                "credentials",
                "the stored credentials do not open with this daemon's key (secrets.key)",
            )
        };
        let bytes =
            hex::decode(sealed.strip_prefix(PREFIX).ok_or_else(broken)?).map_err(|_| broken())?;
        if bytes.len() < NONCE_LEN {
            return Err(broken());
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let mut data = rest.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| broken())?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| broken())?;
        String::from_utf8(plain.to_vec()).map_err(|_| broken())
    }
}

/// Whether a stored value is sealed (else it is plain, from before sealing).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_credentials_open_only_with_the_key_and_for_their_shop() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal("shop-1", r#"{"app_secret":"s3cr3t"}"#).unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("s3cr3t"));
        assert_eq!(sealer.open("shop-1", &sealed).unwrap(), r#"{"app_secret":"s3cr3t"}"#);
        // Another shop, another key, or a flipped byte: refused.
        assert!(sealer.open("shop-2", &sealed).is_err());
        assert!(Sealer::new(&[8; 32]).open("shop-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == '0' { '1' } else { '0' });
        assert!(sealer.open("shop-1", &tampered).is_err());
        // Two seals of the same value differ (random nonces).
        assert_ne!(sealed, sealer.seal("shop-1", r#"{"app_secret":"s3cr3t"}"#).unwrap());
    }

    #[test]
    fn a_fingerprint_names_its_key_without_showing_it() {
        let (a, b) = (Sealer::new(&[7; 32]), Sealer::new(&[8; 32]));
        assert_eq!(a.fingerprint(), Sealer::new(&[7; 32]).fingerprint());
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 64);
        assert!(!a.fingerprint().contains(&hex::encode([7u8; 32])));
    }

    #[test]
    fn keys_are_64_hex_characters() {
        let key = Sealer::generate_key_hex().unwrap();
        assert_eq!(key.len(), 64);
        assert!(Sealer::key_from_hex(&key).is_ok());
        assert!(Sealer::key_from_hex("abcd").is_err());
        assert!(Sealer::key_from_hex(&"zz".repeat(32)).is_err());
    }
}
