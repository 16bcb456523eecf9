//! What the TikTok simulator's handlers share: the configured sellers and shops, and the
//! mutable state behind one lock.

use std::sync::Mutex;

use super::catalog::Catalog;
use super::state::ChatStore;
use super::{Seller, Shop, SimConfig};
use crate::poster::Poster;
use crate::server::{Common, Delivers, FromConfig, common_from};
use crate::tokens::{TokenPair, TokenStore};
use crate::{SimError, check_unique, lock};

/// Mutable state behind one lock.
pub(crate) struct State {
    pub(crate) tokens: TokenStore,
    pub(crate) chats: ChatStore,
    pub(crate) catalog: Catalog,
    /// Seller authorizations: codes, the redirect URL, webhook subscriptions.
    pub(crate) connect: super::connect::Authorizations,
}

/// Everything the handlers share. (`pub` in this private module: the public
/// [`SimHandle`](super::SimHandle) names it.)
pub struct Shared {
    pub(crate) common: Common,
    pub(crate) sellers: Vec<Seller>,
    pub(crate) state: Mutex<State>,
    pub(crate) poster: Poster,
}

impl FromConfig for Shared {
    type Config = SimConfig;

    fn from_config(config: SimConfig) -> Result<Shared, SimError> {
        let shops = || config.sellers.iter().flat_map(|seller| &seller.shops);
        check_unique("shop id", shops().map(|shop| shop.id.as_str()))?;
        check_unique("shop cipher", shops().map(|shop| shop.cipher.as_str()))?;
        let common = common_from!(config)?;
        let seeds =
            (config.sellers.iter()).map(|s| [&*s.open_id, &s.access_token, &s.refresh_token]);
        let tokens = TokenStore::seeded("TTP_sim_", "seller open_id", seeds, &common)?;
        let chats = ChatStore::new(shops().map(|shop| (shop.id.as_str(), shop.name.as_str())));
        let poster = Poster::new(config.webhook_url, config.webhook_timeout)?;
        Ok(Shared {
            common,
            sellers: config.sellers,
            state: Mutex::new(State {
                tokens,
                chats,
                catalog: Catalog::default(),
                connect: Default::default(),
            }),
            poster,
        })
    }
}

impl Shared {
    /// The shop and its seller, by shop id.
    pub(crate) fn shop(&self, shop_id: &str) -> Option<(&Seller, &Shop)> {
        self.find_shop(|shop| shop.id == shop_id)
    }

    /// The shop and its seller, by `shop_cipher`.
    pub(crate) fn shop_by_cipher(&self, cipher: &str) -> Option<(&Seller, &Shop)> {
        self.find_shop(|shop| shop.cipher == cipher)
    }

    fn find_shop(&self, matches: impl Fn(&Shop) -> bool) -> Option<(&Seller, &Shop)> {
        self.sellers.iter().find_map(|seller| {
            let shop = seller.shops.iter().find(|shop| matches(shop))?;
            Some((seller, shop))
        })
    }

    pub(crate) fn seller(&self, open_id: &str) -> Option<&Seller> {
        self.sellers.iter().find(|seller| seller.open_id == open_id)
    }

    /// `read` of the shop's seller's current token pair.
    pub(crate) fn current_tokens<T>(
        &self, shop_id: &str, read: impl FnOnce(&TokenPair) -> T,
    ) -> Option<T> {
        let (seller, _) = self.shop(shop_id)?;
        lock(&self.state).tokens.current(&seller.open_id).map(read)
    }
}

impl Delivers for Shared {
    fn poster(&self) -> &Poster {
        &self.poster
    }
}
