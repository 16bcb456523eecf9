//! What the Douyin simulator's handlers share: the configured shops, and the mutable state
//! behind one lock.

use std::sync::Mutex;

use super::{Order, Product, SimConfig};
use crate::SimError;
use crate::per_shop::PerShop;
use crate::poster::Poster;
use crate::server::{Common, Delivers, FromConfig, common_from};
use crate::tokens::TokenStore;

/// Mutable state behind one lock.
pub(crate) struct State {
    pub(crate) tokens: TokenStore,
    pub(crate) orders: PerShop<Order>,
    pub(crate) products: PerShop<Product>,
    pub(crate) next_msg_id: u64,
    /// Where the authorization consent sends the seller (the app's redirect URL).
    pub(crate) redirect_url: Option<String>,
}

/// Everything the handlers share. (`pub` in this private module: the public
/// [`SimHandle`](super::SimHandle) names it.)
pub struct Shared {
    pub(crate) common: Common,
    /// `(shop_id, shop_name, auth_code)`.
    pub(crate) shops: Vec<(String, String, Option<String>)>,
    pub(crate) state: Mutex<State>,
    pub(crate) poster: Poster,
}

impl FromConfig for Shared {
    type Config = SimConfig;

    fn from_config(config: SimConfig) -> Result<Shared, SimError> {
        let common = common_from!(config)?;
        let seeds = (config.shops.iter()).map(|s| [&*s.shop_id, &s.access_token, &s.refresh_token]);
        let tokens = TokenStore::seeded("sim-douyin-", "shop id", seeds, &common)?;
        let mut orders = PerShop::new(|order: &Order| &order.order_id);
        let mut products = PerShop::new(|product: &Product| &product.product_id);
        let mut shops = Vec::new();
        for shop in config.shops {
            orders.insert(&shop.shop_id, shop.orders);
            products.insert(&shop.shop_id, shop.products);
            shops.push((shop.shop_id, shop.shop_name, shop.auth_code));
        }
        let poster = Poster::new(config.push_url, config.push_timeout)?;
        Ok(Shared {
            common,
            shops,
            state: Mutex::new(State {
                tokens,
                orders,
                products,
                next_msg_id: 7_300_000_000_000_000_000,
                redirect_url: None,
            }),
            poster,
        })
    }
}

impl Shared {
    /// Refuses a shop that is not configured.
    pub(crate) fn known_shop(&self, shop_id: &str) -> Result<(), SimError> {
        match self.shop_name(shop_id) {
            Some(_) => Ok(()),
            None => Err(SimError::UnknownShop(shop_id.to_owned())),
        }
    }

    /// The shop's name, if configured.
    pub(crate) fn shop_name(&self, shop_id: &str) -> Option<&str> {
        self.shops.iter().find(|(id, _, _)| id == shop_id).map(|(_, name, _)| name.as_str())
    }
}

impl Delivers for Shared {
    fn poster(&self) -> &Poster {
        &self.poster
    }
}
