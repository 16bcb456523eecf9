//! The pre-send compliance check as a service: a shop's checker (its platform's
//! off-platform contact policy with the shop's overrides), live checks of a draft, and
//! the screen an agent's outbound message passes: findings the agent has not
//! acknowledged refuse it (`PolicyWarning`, nothing written); acknowledged ones let it
//! go and are recorded with it (`message_policy_overrides`).

use crate::domain::compliance::{
    Checker, Finding, PolicyOverride, draft_text, policy_ids, shop_compliance, unacknowledged,
};
use crate::domain::ids::*;
use crate::domain::model::{Message, Platform};
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::write::WriteTx;
use crate::storage::{policy_overrides, shops};
use serde::{Deserialize, Serialize};
use shopmux_contract::content::MessageContent;

/// At most this many policy IDs may be acknowledged at once.
const MAX_ACKNOWLEDGED: usize = 32;

/// A draft to check.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// The text the agent is writing.
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub text: String,
}

/// What the check found in a draft.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftCheck {
    /// Where the draft breaks the shop's policies, in order; empty: nothing.
    pub findings: Vec<Finding>,
}

impl Inbox {
    /// A shop's checker: its platform's policy with the shop's overrides (stored
    /// overrides the platform's policy no longer fits are left out, and logged).
    pub(crate) async fn shop_checker(&self, shop_id: ShopId) -> CoreResult<Checker> {
        let (_, platform, settings) =
            shops::settings(&self.store, shop_id).await?.ok_or(CoreError::NotFound("shop"))?;
        let platform =
            Platform::new(&platform).map_err(|e| CoreError::invalid("platform", e.to_string()))?;
        let rules = self.rule_set(&platform);
        let overrides = shop_compliance(&settings, &rules.compliance).unwrap_or_else(|error| {
            tracing::warn!(message = "Shop compliance overrides ignored.", %shop_id, %error);
            Default::default()
        });
        Ok(Checker::new(&rules.compliance, &overrides))
    }

    /// Checks a draft reply of a conversation the viewer may see (for live warnings).
    pub async fn check_draft(
        &self, viewer: &Viewer, id: ConversationId, draft: &Draft,
    ) -> CoreResult<DraftCheck> {
        if draft.text.chars().count() > 10_000 {
            return Err(CoreError::invalid("text", "must be at most 10000 characters"));
        }
        let conversation = self.conversation(viewer, id).await?;
        let checker = self.shop_checker(conversation.shop_id).await?;
        Ok(DraftCheck { findings: checker.check(&draft.text) })
    }
}

/// Checks the policy IDs an agent acknowledges: at most 32 (an ID no policy has simply
/// acknowledges nothing).
pub(crate) fn check_acknowledged(acknowledged: &[String]) -> CoreResult<()> {
    if acknowledged.len() > MAX_ACKNOWLEDGED {
        return Err(CoreError::invalid(
            "acknowledged_policies",
            format!("at most {MAX_ACKNOWLEDGED} policy IDs"),
        ));
    }
    Ok(())
}

/// The screen of an agent's outbound message: refused with every finding when one of
/// them is not acknowledged; else the policy IDs broken and acknowledged (to record).
pub(crate) fn screen(
    checker: &Checker, content: &MessageContent, acknowledged: &[String],
) -> CoreResult<Vec<String>> {
    let Some(text) = draft_text(content) else {
        return Ok(Vec::new());
    };
    let findings = checker.check(text);
    if !unacknowledged(&findings, acknowledged).is_empty() {
        return Err(CoreError::PolicyWarning(findings));
    }
    Ok(policy_ids(&findings))
}

/// Records that `message` was sent despite `policies` (nothing when there are none).
pub(crate) async fn record(
    w: &mut WriteTx<'_>, message: &Message, policies: Vec<String>,
) -> CoreResult<()> {
    let (false, Some(agent_id)) = (policies.is_empty(), message.sender_agent_id) else {
        return Ok(());
    };
    let o = PolicyOverride {
        message_id: message.id,
        policies,
        agent_id,
        created_at: message.created_at,
    };
    policy_overrides::insert(w, &o).await
}
