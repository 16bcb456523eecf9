//! Password sign-in, pure: login names, the password policy, argon2id hashes as PHC
//! strings, the random tokens of a web session and its lifetimes. No I/O; hashing and
//! verifying are CPU-heavy, so the services run them on the blocking pool.

use super::ids::AgentId;
use super::viewer::hash_token;
use crate::error::{CoreError, CoreResult};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::Deserialize;
use std::sync::OnceLock;

/// A session ends when it has not been used for this long.
pub const IDLE_LIFETIME: Duration = Duration::hours(12);

/// A session ends this long after sign-in, used or not.
pub const ABSOLUTE_LIFETIME: Duration = Duration::days(7);

/// A session's `last_seen_at` is written again only when older than this (a request
/// does not cost a write).
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

/// The shortest and longest password, in characters.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 10..=256;

/// The shortest and longest login name, in characters.
pub const LOGIN_CHARS: std::ops::RangeInclusive<usize> = 3..=64;

/// A browser session as stored (the cookie's token only as its SHA-256 hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSession {
    /// The SHA-256 (hex) of the cookie's token.
    pub token_hash: String,
    /// The account signed in.
    pub agent_id: AgentId,
    /// The token a write must carry in `X-CSRF-Token`.
    pub csrf_token: String,
    /// When it was signed in.
    pub created_at: DateTime<Utc>,
    /// When it was last used (written at most every [`TOUCH_EVERY`]).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends, used or not ([`ABSOLUTE_LIFETIME`] after sign-in).
    pub expires_at: DateTime<Utc>,
}

impl WebSession {
    /// A session starting `now` for the holder of `token`.
    pub fn start(token: &str, agent_id: AgentId, now: DateTime<Utc>) -> Self {
        Self {
            token_hash: hash_token(token),
            agent_id,
            csrf_token: new_session_token(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + ABSOLUTE_LIFETIME,
        }
    }

    /// Whether it is still valid at `now`: before its absolute end and used within the
    /// idle limit.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at && now < self.last_seen_at + IDLE_LIFETIME
    }

    /// Whether a use at `now` should be recorded.
    pub fn needs_touch(&self, now: DateTime<Utc>) -> bool {
        now - self.last_seen_at >= TOUCH_EVERY
    }
}

/// A password as typed: its `Debug` never shows it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(****)")
    }
}

/// A login as the sign-in form names it: trimmed and lowercased, not validated (an
/// invalid name simply matches no account).
pub fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

/// A login name for an account: 3 to 64 of `a-z`, `0-9`, `.`, `_`, `-`, `@`, after
/// trimming and lowercasing.
pub fn validate_login(login: &str) -> CoreResult<String> {
    let login = normalize_login(login);
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c);
    if LOGIN_CHARS.contains(&login.chars().count()) && login.chars().all(allowed) {
        Ok(login)
    } else {
        Err(CoreError::invalid("login", "must be 3 to 64 of a-z, 0-9, `.`, `_`, `-`, `@`"))
    }
}

/// Checks the password policy: 10 to 256 characters.
pub fn validate_password(password: &Password) -> CoreResult<()> {
    if PASSWORD_CHARS.contains(&password.0.chars().count()) {
        Ok(())
    } else {
        Err(CoreError::invalid("password", "must be 10 to 256 characters"))
    }
}

/// The argon2id hash of a password, as a PHC string (`$argon2id$v=19$...`), with a
/// fresh random salt and the crate's default (OWASP) parameters.
pub fn hash_password(password: &Password) -> CoreResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(hash_failed)?;
    let hash =
        Argon2::default().hash_password(password.0.as_bytes(), &salt).map_err(hash_failed)?;
    Ok(hash.to_string())
}

fn hash_failed(e: argon2::password_hash::Error) -> CoreError {
    CoreError::invalid("password", format!("cannot be hashed: {e}"))
}

/// Whether `password` matches the stored PHC string; an unreadable hash matches nothing.
/// Without a stored hash (an unknown login, an account with no password) a dummy hash
/// is verified instead, so the answer takes as long either way.
pub fn verify_password(stored: Option<&str>, password: &Password) -> bool {
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let matches = Argon2::default().verify_password(password.0.as_bytes(), &parsed).is_ok();
    matches && real
}

/// Makes the dummy hash ahead of the first sign-in with an unknown login (it is made
/// once per process, on first use, otherwise).
pub fn prepare_dummy_hash() {
    dummy_hash();
}

/// A hash of a random password, made once, that nothing matches.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 32];
        rand::rng().fill_bytes(&mut random);
        hash_password(&Password(URL_SAFE_NO_PAD.encode(random))).unwrap_or_default()
    })
}

/// A fresh random token of 32 bytes, base64url without padding (43 characters): the
/// session cookie's value, and the CSRF token.
pub fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_lowercased_and_checked() {
        assert_eq!(validate_login(" Ana.B@Shop ").unwrap(), "ana.b@shop");
        assert_eq!(validate_login("a_b-c").unwrap(), "a_b-c");
        for bad in ["ab", "with space", "ünï", "semi;colon", &"x".repeat(65)] {
            assert!(validate_login(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_password_policy_counts_characters() {
        assert!(validate_password(&Password("123456789".into())).is_err());
        assert!(validate_password(&Password("1234567890".into())).is_ok());
        assert!(validate_password(&Password("é".repeat(256))).is_ok());
        assert!(validate_password(&Password("é".repeat(257))).is_err());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let password = Password("correct horse battery".into());
        let phc = hash_password(&password).unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password(Some(&phc), &password));
        assert!(!verify_password(Some(&phc), &Password("correct horse battery!".into())));
        assert!(!verify_password(None, &password));
        assert!(!verify_password(Some("not a hash"), &password));
        assert_ne!(phc, hash_password(&password).unwrap(), "salted");
    }

    #[test]
    fn an_unknown_login_costs_a_verification_too() {
        let password = Password("correct horse battery".into());
        let phc = hash_password(&password).unwrap();
        prepare_dummy_hash();
        let fastest = |stored: Option<&str>| {
            (0..3)
                .map(|_| {
                    let started = std::time::Instant::now();
                    verify_password(stored, &Password("a wrong guess".into()));
                    started.elapsed()
                })
                .min()
                .unwrap()
        };
        let (real, dummy) = (fastest(Some(&phc)), fastest(None));
        // The same work, give or take the machine's noise; skipping it would be 1000x off.
        assert!(dummy * 4 > real && real * 4 > dummy, "real {real:?}, dummy {dummy:?}");
    }

    #[test]
    fn tokens_are_43_base64url_characters() {
        let token = new_session_token();
        assert_eq!(token.len(), 43);
        assert!(token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(token, new_session_token());
        assert_eq!(format!("{:?}", Password("secret".into())), "Password(****)");
    }

    #[test]
    fn a_session_ends_when_idle_or_at_its_absolute_end() {
        let t0 = chrono::DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap();
        let mut session = WebSession::start("token", AgentId::new(), t0);
        assert_eq!(session.token_hash, hash_token("token"));
        assert!(session.is_live(t0 + Duration::hours(11)));
        assert!(!session.is_live(t0 + IDLE_LIFETIME), "idle for 12 h");
        assert!(!session.needs_touch(t0 + Duration::seconds(59)));
        assert!(session.needs_touch(t0 + TOUCH_EVERY));
        // Used every 11 hours it lives until its absolute end, and not after.
        session.last_seen_at = t0 + ABSOLUTE_LIFETIME - Duration::hours(1);
        assert!(session.is_live(t0 + ABSOLUTE_LIFETIME - Duration::minutes(1)));
        assert!(!session.is_live(t0 + ABSOLUTE_LIFETIME));
    }
}
