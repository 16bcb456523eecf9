//! What the AliExpress simulator's handlers share: the configured sellers, and the mutable
//! state behind one lock.

use std::sync::Mutex;

use super::state::MessageStore;
use super::{Buyer, BuyerMessage, Seller, SimConfig};
use crate::server::{Common, FromConfig, common_from};
use crate::tokens::{TokenPair, TokenStore};
use crate::{SimError, lock};

/// Mutable state behind one lock.
pub(crate) struct State {
    pub(crate) tokens: TokenStore,
    pub(crate) messages: MessageStore,
    /// Authorization codes not yet exchanged → their seller's login id.
    pub(crate) codes: std::collections::HashMap<String, String>,
}

/// Everything the handlers share. (`pub` in this private module: the public
/// [`SimHandle`](super::SimHandle) names it.)
pub struct Shared {
    pub(crate) common: Common,
    pub(crate) sellers: Vec<Seller>,
    pub(crate) state: Mutex<State>,
}

impl FromConfig for Shared {
    type Config = SimConfig;

    fn from_config(config: SimConfig) -> Result<Shared, SimError> {
        let common = common_from!(config)?;
        let seeds =
            (config.sellers.iter()).map(|s| [&*s.login_id, &s.access_token, &s.refresh_token]);
        let tokens = TokenStore::seeded("50000sim_", "seller login id", seeds, &common)?;
        let messages = MessageStore::new();
        Ok(Shared {
            common,
            sellers: config.sellers,
            state: Mutex::new(State { tokens, messages, codes: Default::default() }),
        })
    }
}

impl Shared {
    /// The seller with this login id.
    pub(crate) fn seller(&self, login_id: &str) -> Result<&Seller, SimError> {
        self.sellers
            .iter()
            .find(|seller| seller.login_id == login_id)
            .ok_or_else(|| SimError::UnknownShop(login_id.to_owned()))
    }

    /// `read` of the seller's current token pair.
    pub(crate) fn current_tokens<T>(
        &self, seller: &str, read: impl FnOnce(&TokenPair) -> T,
    ) -> Option<T> {
        lock(&self.state).tokens.current(seller).map(read)
    }

    /// A message between the seller and a buyer, now; returns the message id.
    pub(crate) fn store_message(
        &self, seller: &str, buyer: &Buyer, message: &BuyerMessage, from_buyer: bool,
    ) -> Result<String, SimError> {
        self.seller(seller)?;
        let now = self.common.now();
        let mut state = lock(&self.state);
        Ok(state.messages.add(seller, buyer, message, from_buyer, now).1)
    }
}
