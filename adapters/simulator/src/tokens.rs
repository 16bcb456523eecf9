//! Access and refresh tokens, shared by the gateway simulators: issue, check, refresh, expire.
//!
//! A token belongs to an owner (a TikTok seller's `open_id`, a Douyin `shop_id`). Each owner
//! has at most one live pair: issuing or refreshing replaces the owner's pair, and the old
//! tokens become unknown. Tokens are valid while `now < expires_at`. Token strings are
//! deterministic (`{prefix}access_{n}` / `{prefix}refresh_{n}`).

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::server::Common;
use crate::{SimError, check_unique};

/// How long new tokens live.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenTtl {
    /// Access token lifetime.
    pub(crate) access: TimeDelta,
    /// Refresh token lifetime.
    pub(crate) refresh: TimeDelta,
}

impl TokenTtl {
    /// Access and refresh token lifetimes.
    pub(crate) fn new(access: TimeDelta, refresh: TimeDelta) -> TokenTtl {
        TokenTtl { access, refresh }
    }
}

/// An owner's live tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenPair {
    pub(crate) access_token: String,
    pub(crate) access_expires_at: DateTime<Utc>,
    pub(crate) refresh_token: String,
    pub(crate) refresh_expires_at: DateTime<Utc>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    /// Never issued, or replaced since.
    Unknown,
    /// Issued and current, but past its expiry.
    Expired,
}

/// All tokens of one simulator.
#[derive(Debug)]
pub(crate) struct TokenStore {
    prefix: String,
    issued: u64,
    by_owner: HashMap<String, TokenPair>,
    access: HashMap<String, String>,
    refresh: HashMap<String, String>,
}

impl TokenStore {
    pub(crate) fn new(prefix: &str) -> TokenStore {
        TokenStore {
            prefix: prefix.to_owned(),
            issued: 0,
            by_owner: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    /// A store whose owners (`owner_kind`: "shop id", ...) start with the given
    /// `[owner, access_token, refresh_token]` pairs (config seeds), issued now. Refuses
    /// seeds that repeat an owner or a token.
    pub(crate) fn seeded<'a>(
        prefix: &str, owner_kind: &str, seeds: impl IntoIterator<Item = [&'a str; 3]>,
        common: &Common,
    ) -> Result<TokenStore, SimError> {
        let seeds: Vec<[&str; 3]> = seeds.into_iter().collect();
        let kinds = [owner_kind, "access token", "refresh token"];
        for (column, what) in kinds.into_iter().enumerate() {
            check_unique(what, seeds.iter().map(|seed| seed[column]))?;
        }
        let mut store = TokenStore::new(prefix);
        let now = common.now();
        for [owner, access_token, refresh_token] in seeds {
            store.install(owner, access_token, refresh_token, now, common.ttl);
        }
        Ok(store)
    }

    /// Installs a given pair for `owner` (config seeds), replacing any live pair.
    pub(crate) fn install(
        &mut self, owner: &str, access_token: &str, refresh_token: &str, now: DateTime<Utc>,
        ttl: TokenTtl,
    ) -> TokenPair {
        let pair = TokenPair {
            access_token: access_token.to_owned(),
            access_expires_at: now + ttl.access,
            refresh_token: refresh_token.to_owned(),
            refresh_expires_at: now + ttl.refresh,
        };
        self.replace(owner, pair.clone());
        pair
    }

    /// Issues a fresh pair for `owner`, revoking the old one.
    pub(crate) fn issue(&mut self, owner: &str, now: DateTime<Utc>, ttl: TokenTtl) -> TokenPair {
        self.issued += 1;
        let access_token = format!("{}access_{:08}", self.prefix, self.issued);
        let refresh_token = format!("{}refresh_{:08}", self.prefix, self.issued);
        self.install(owner, &access_token, &refresh_token, now, ttl)
    }

    /// The owner of a live, unexpired access token.
    pub(crate) fn check_access(
        &self, access_token: &str, now: DateTime<Utc>,
    ) -> Result<&str, TokenProblem> {
        let owner = self.access.get(access_token).ok_or(TokenProblem::Unknown)?;
        let pair = self.by_owner.get(owner).ok_or(TokenProblem::Unknown)?;
        if now < pair.access_expires_at { Ok(owner) } else { Err(TokenProblem::Expired) }
    }

    /// Trades a live, unexpired refresh token for a fresh pair; the old pair is revoked.
    pub(crate) fn refresh(
        &mut self, refresh_token: &str, now: DateTime<Utc>, ttl: TokenTtl,
    ) -> Result<(String, TokenPair), TokenProblem> {
        let owner = self.refresh.get(refresh_token).cloned().ok_or(TokenProblem::Unknown)?;
        let expired = self.by_owner.get(&owner).is_none_or(|pair| now >= pair.refresh_expires_at);
        if expired {
            return Err(TokenProblem::Expired);
        }
        let pair = self.issue(&owner, now, ttl);
        Ok((owner, pair))
    }

    /// The owner's live pair.
    pub(crate) fn current(&self, owner: &str) -> Option<&TokenPair> {
        self.by_owner.get(owner)
    }

    fn replace(&mut self, owner: &str, pair: TokenPair) {
        if let Some(old) = self.by_owner.remove(owner) {
            self.access.remove(&old.access_token);
            self.refresh.remove(&old.refresh_token);
        }
        self.access.insert(pair.access_token.clone(), owner.to_owned());
        self.refresh.insert(pair.refresh_token.clone(), owner.to_owned());
        self.by_owner.insert(owner.to_owned(), pair);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().expect("valid")
    }

    const TTL: TokenTtl = TokenTtl { access: TimeDelta::hours(1), refresh: TimeDelta::days(1) };

    #[test]
    fn expiry_refresh_and_revocation() {
        let mut store = TokenStore::new("t_");
        let seeded = store.install("seller", "a0", "r0", at(0), TTL);
        assert_eq!(store.check_access("a0", at(3599)), Ok("seller"));
        assert_eq!(store.check_access("a0", at(3600)), Err(TokenProblem::Expired));
        assert_eq!(store.check_access("nope", at(0)), Err(TokenProblem::Unknown));

        let (owner, fresh) = store.refresh("r0", at(3600), TTL).expect("refreshes");
        assert_eq!(owner, "seller");
        assert_ne!(fresh.access_token, seeded.access_token);
        assert_eq!(store.check_access("a0", at(3600)), Err(TokenProblem::Unknown));
        assert_eq!(store.check_access(&fresh.access_token, at(3600)), Ok("seller"));
        assert_eq!(store.refresh("r0", at(3600), TTL), Err(TokenProblem::Unknown));
        assert_eq!(
            store.refresh(&fresh.refresh_token, at(3600 + 86_400), TTL),
            Err(TokenProblem::Expired)
        );
        assert_eq!(store.current("seller"), Some(&fresh));
    }
}
