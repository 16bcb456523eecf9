//! Checks an agent's message with its platform before it is accepted, for the rules
//! only the platform can answer (Shopify: the discount code is active, SH-DISC-1; the
//! products are published, SH-PROD-1). The adapter asks over its API; a refusal is a
//! rule violation naming the rule, like any rule; the platform not answering is a
//! platform error (try again). Shops without a connection cannot be asked and are not
//! checked.

use crate::domain::ids::ShopId;
use crate::domain::model::Platform;
use crate::domain::rules::Refusal;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use shopmux_contract::content::MessageContent;

impl Inbox {
    /// Fails when the platform refuses `content` in this shop.
    pub(crate) async fn vet(
        &self, shop_id: ShopId, platform: &Platform, content: &MessageContent,
    ) -> CoreResult<()> {
        if !self.registry.capabilities(platform.as_str()).vets_outbound {
            return Ok(());
        }
        let Some(connection) = self.shop_connection(shop_id).await? else {
            return Ok(());
        };
        let rules = self.shop_rules(shop_id).await?;
        let verdict =
            self.registry.vet_outbound(platform, connection, content.clone(), rules).await;
        match verdict {
            Ok(None) => Ok(()),
            Ok(Some(refusal)) => Err(CoreError::RuleViolation(Refusal {
                rule: refusal.rule,
                message: refusal.message,
                window_closed_at: None,
            })),
            Err(e) => Err(CoreError::Platform(shopmux_contract::AdapterError {
                message: format!("{platform} could not check the message; try again ({e})"),
                retryable: true,
                ..e
            })),
        }
    }
}
