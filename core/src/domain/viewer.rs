//! Who is asking: the account behind a token or session, with the shops it may see and
//! chat in, and the tokens themselves (random, shown once, stored as SHA-256 hashes).

use super::ids::ShopId;
use super::model::{Agent, Role};
use crate::error::{CoreError, CoreResult};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// A fresh API token: `smx_` and 64 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("smx_{}", hex::encode(bytes))
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The account making a request, with what it may see.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The account.
    pub agent: Agent,
    /// Shops it may see (all the seller's shops for an owner).
    pub visible_shops: HashSet<ShopId>,
    /// Shops it may chat in (DY-PERM-1: the main account always can).
    pub chat_shops: HashSet<ShopId>,
}

impl Viewer {
    /// Whether this is the seller's main account.
    pub fn is_owner(&self) -> bool {
        self.agent.role == Role::Owner
    }

    /// Fails unless this is the main account.
    pub fn require_owner(&self) -> CoreResult<()> {
        if self.is_owner() {
            Ok(())
        } else {
            Err(CoreError::Forbidden("only the main account may do this".into()))
        }
    }

    /// Whether it may see the shop.
    pub fn can_see(&self, shop: ShopId) -> bool {
        self.visible_shops.contains(&shop)
    }

    /// Whether it may chat in the shop.
    pub fn can_chat(&self, shop: ShopId) -> bool {
        self.chat_shops.contains(&shop)
    }

    /// Fails unless it may chat in the shop.
    pub fn require_chat(&self, shop: ShopId) -> CoreResult<()> {
        if self.can_chat(shop) {
            Ok(())
        } else {
            // rule: DY-PERM-1
            Err(CoreError::Forbidden("no chat permission in this shop".into()))
        }
    }
}
