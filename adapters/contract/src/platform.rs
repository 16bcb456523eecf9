//! The platform id: which marketplace (or channel) a shop, an adapter or a rule set
//! belongs to. One type with one rule for valid ids, shared by the contract, the core,
//! the built-in adapters and plugins, so an id is checked once, where it enters.
//!
//! A valid id is 1 to 32 characters of `a-z`, `0-9` and `_`, starting with a letter
//! (`tiktok`, `mercado_libre2`): lowercase snake_case, as the house style names them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::{Borrow, Cow};
use std::fmt;
use std::str::FromStr;

/// The longest platform id.
pub const MAX_PLATFORM_LEN: usize = 32;

/// A validated platform id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform(Cow<'static, str>);

/// Why a text is not a platform id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidPlatform(pub String);

impl fmt::Display for InvalidPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "platform `{}` is not a valid id (1 to {MAX_PLATFORM_LEN} characters of a-z, 0-9 and _, starting with a letter)",
            self.0
        )
    }
}

impl std::error::Error for InvalidPlatform {}

/// Whether `id` follows the one rule for platform ids (usable in constants).
pub const fn is_valid(id: &str) -> bool {
    let bytes = id.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_PLATFORM_LEN || !bytes[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 1;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

impl Platform {
    /// A platform id known when the program is written (an adapter's own); an invalid
    /// one fails the build when used in a `static` or `const`.
    pub const fn from_static(id: &'static str) -> Self {
        assert!(is_valid(id), "invalid platform id");
        Self(Cow::Borrowed(id))
    }

    /// Validates a platform id.
    pub fn new(id: &str) -> Result<Self, InvalidPlatform> {
        if is_valid(id) {
            Ok(Self(Cow::Owned(id.to_owned())))
        } else {
            Err(InvalidPlatform(id.chars().take(64).collect()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Platform {
    type Err = InvalidPlatform;
    fn from_str(s: &str) -> Result<Self, InvalidPlatform> {
        Self::new(s)
    }
}

impl AsRef<str> for Platform {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Platform {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Platform {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Platform {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Platform {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_every_platform_id() {
        for good in ["tiktok", "mercado_libre2", "a", "x_1"] {
            assert!(Platform::new(good).is_ok(), "{good}");
        }
        let too_long = "a".repeat(MAX_PLATFORM_LEN + 1);
        for bad in ["", "TikTok", "9x", "_x", "lazada-my", "a b", too_long.as_str()] {
            let err = Platform::new(bad).unwrap_err();
            assert!(err.to_string().contains("not a valid id"), "{bad}: {err}");
        }
    }

    #[test]
    fn static_ids_are_the_same_as_parsed_ones_and_serialize_as_text() {
        static TIKTOK: Platform = Platform::from_static("tiktok");
        assert_eq!(TIKTOK, Platform::new("tiktok").unwrap());
        assert_eq!(serde_json::to_string(&TIKTOK).unwrap(), "\"tiktok\"");
        let back: Platform = serde_json::from_str("\"tiktok\"").unwrap();
        assert_eq!(back, TIKTOK);
        assert!(serde_json::from_str::<Platform>("\"Tik-Tok\"").is_err());
    }
}
