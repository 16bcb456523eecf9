//! Confirming a storefront visitor's email. A typed address is contact data: replies
//! are mailed to it (SH-ONLINE-1) only once the visitor proves they read it, by typing
//! back a 6-digit code mailed there. The code lives [`CODE_LIFETIME_MINUTES`] (by the
//! injected clock), allows [`MAX_CODE_ATTEMPTS`] guesses (each taken before it is
//! compared, so concurrent guesses cannot pass the bound), and only its salted SHA-256
//! is stored. Confirming makes the address the session's and its buyer's; it never
//! changes who the buyer is.

use super::storefront::checked_email;
use crate::domain::ids::ShopId;
use crate::domain::viewer::hash_token;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::storefront::{self, PendingCode};
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long a mailed code may be used.
pub const CODE_LIFETIME_MINUTES: i64 = 15;
/// Wrong guesses allowed per mailed code.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// A code to mail: the daemon sends `code` to `email`.
#[derive(Clone, Debug)]
pub struct EmailCode {
    /// The address (checked, lower case).
    pub email: String,
    /// The 6-digit code.
    pub code: String,
}

fn salted(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

fn code_hash(code: &str) -> String {
    let salt = hex::encode(rand::rng().random::<[u8; 16]>());
    format!("{salt}${}", salted(&salt, code))
}

fn code_matches(stored: &str, code: &str) -> bool {
    let Some((salt, hash)) = stored.split_once('$') else { return false };
    bool::from(salted(salt, code.trim()).as_bytes().ct_eq(hash.as_bytes()))
}

impl Inbox {
    /// Starts confirming `email` for a storefront session: a new code (replacing any
    /// pending one) for the daemon to mail.
    pub async fn request_storefront_email_code(
        &self, shop_id: ShopId, token: &str, email: &str,
    ) -> CoreResult<EmailCode> {
        if self.storefront_customer(shop_id, token).await?.is_none() {
            return Err(CoreError::NotFound("session"));
        }
        let email = checked_email(email)?;
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let expires = self.clock.now() + chrono::Duration::minutes(CODE_LIFETIME_MINUTES);
        let pending = PendingCode {
            email: email.clone(),
            code_hash: code_hash(&code),
            expires_at_ms: expires.timestamp_millis(),
            attempts: 0,
        };
        let mut w = self.store.begin_write().await?;
        storefront::put_code(&mut w, shop_id, hash_token(token), &pending).await?;
        w.commit().await?;
        Ok(EmailCode { email, code })
    }

    /// Confirms a session's pending email with the code mailed to it; the address.
    pub async fn confirm_storefront_email(
        &self, shop_id: ShopId, token: &str, code: &str,
    ) -> CoreResult<String> {
        let Some(customer) = self.storefront_customer(shop_id, token).await? else {
            return Err(CoreError::NotFound("session"));
        };
        let token_hash = hash_token(token);
        let Some(pending) =
            storefront::pending_code(&self.store, shop_id, token_hash.clone()).await?
        else {
            return Err(CoreError::Conflict("no email confirmation is pending".into()));
        };
        if self.clock.now().timestamp_millis() > pending.expires_at_ms {
            return Err(CoreError::invalid("code", "the code has expired: ask for a new one"));
        }
        let mut w = self.store.begin_write().await?;
        if !storefront::take_attempt(&mut w, shop_id, token_hash.clone(), MAX_CODE_ATTEMPTS).await?
        {
            return Err(CoreError::invalid("code", "too many wrong codes: ask for a new one"));
        }
        if !code_matches(&pending.code_hash, code) {
            w.commit().await?;
            return Err(CoreError::invalid("code", "wrong code"));
        }
        let buyer = &customer.buyer_external_id;
        storefront::confirm_email(&mut w, shop_id, token_hash, buyer, &pending.email).await?;
        w.commit().await?;
        Ok(pending.email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_stored_salted_and_matches_only_itself() {
        let stored = code_hash("123456");
        assert!(!stored.contains("123456"));
        assert_ne!(stored, code_hash("123456"), "salted: two hashes of one code differ");
        assert!(code_matches(&stored, "123456"));
        assert!(code_matches(&stored, " 123456 "));
        assert!(!code_matches(&stored, "123457"));
        assert!(!code_matches("garbage", "123456"));
    }
}
