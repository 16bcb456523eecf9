//! What the Lazada simulator's handlers share: the seller and site, and the mutable state
//! behind one lock.

use std::sync::Mutex;

use super::SimConfig;
use super::state::Chats;
use crate::SimError;
use crate::poster::Poster;
use crate::server::{Common, Delivers, FromConfig, common_from};
use crate::tokens::TokenStore;

/// Mutable state behind one lock.
pub(crate) struct State {
    pub(crate) tokens: TokenStore,
    pub(crate) chats: Chats,
    /// Authorization codes issued by the consent and not yet exchanged.
    pub(crate) codes: Vec<String>,
}

/// Everything the handlers share. (`pub` in this private module: the public
/// [`SimHandle`](super::SimHandle) names it.)
pub struct Shared {
    pub(crate) common: Common,
    pub(crate) seller_id: String,
    pub(crate) site: String,
    pub(crate) state: Mutex<State>,
    pub(crate) poster: Poster,
}

impl FromConfig for Shared {
    type Config = SimConfig;

    fn from_config(config: SimConfig) -> Result<Shared, SimError> {
        if config.access_token == config.refresh_token {
            let why = "the access and refresh tokens must differ".to_owned();
            return Err(SimError::InvalidConfig(why));
        }
        let common = common_from!(config)?;
        let seed = [&*config.seller_id, &config.access_token, &config.refresh_token];
        let tokens = TokenStore::seeded("50000sim_lazada_", "seller id", [seed], &common)?;
        let poster = Poster::new(config.webhook_url, config.webhook_timeout)?;
        Ok(Shared {
            common,
            seller_id: config.seller_id,
            site: config.site,
            state: Mutex::new(State { tokens, chats: Chats::default(), codes: Vec::new() }),
            poster,
        })
    }
}

impl Delivers for Shared {
    fn poster(&self) -> &Poster {
        &self.poster
    }
}
