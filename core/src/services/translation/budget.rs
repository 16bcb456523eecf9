//! A seller's monthly translation budget (issue 18): the main account sets its own
//! (a number of characters, or none for no limit) or goes back to the daemon's
//! configured default (`[translation] seller_monthly_chars`). The budget in force is
//! checked under the seller's lock as characters are reserved ([`super::text`]).

use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::translations;
use serde::{Deserialize, Serialize};

/// The largest budget a seller may set, in characters.
pub const MAX_MONTHLY_CHARS: i64 = 1_000_000_000_000;

/// What the main account sets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetInput {
    /// Most characters translated by the provider per calendar month (UTC), all
    /// providers together; `null`: no limit.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000_000_i64))]
    #[serde(default, deserialize_with = "shopmux_contract::integral::option_i64")]
    pub monthly_chars: Option<i64>,
}

/// A seller's budget as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TranslationBudget {
    /// The budget in force (characters per month); none: no limit.
    pub monthly_chars: Option<u64>,
    /// Whether the seller set it (false: the daemon's default is in force).
    pub own: bool,
    /// The daemon's configured default; none: no limit.
    pub default_monthly_chars: Option<u64>,
}

/// A budget's characters, checked.
fn checked(input: &BudgetInput) -> CoreResult<Option<u64>> {
    match input.monthly_chars {
        None => Ok(None),
        Some(n) if (0..=MAX_MONTHLY_CHARS).contains(&n) => Ok(Some(n as u64)),
        Some(_) => Err(CoreError::invalid(
            "monthly_chars",
            format!("must be 0 to {MAX_MONTHLY_CHARS} characters, or null for no limit"),
        )),
    }
}

impl Inbox {
    /// The caller's seller's translation budget: its own, else the default.
    pub async fn translation_budget(&self, viewer: &Viewer) -> CoreResult<TranslationBudget> {
        let own = translations::own_budget(&self.store, viewer.agent.seller_id).await?;
        Ok(self.budget_view(own))
    }

    /// Sets the seller's own budget (main account only).
    pub async fn set_translation_budget(
        &self, owner: &Viewer, input: &BudgetInput,
    ) -> CoreResult<TranslationBudget> {
        owner.require_owner()?;
        let chars = checked(input)?;
        let seller = owner.agent.seller_id;
        translations::set_budget(&self.store, seller, chars, self.clock.now()).await?;
        Ok(self.budget_view(Some(chars)))
    }

    /// Drops the seller's own budget: the default is in force again (main account only).
    pub async fn reset_translation_budget(&self, owner: &Viewer) -> CoreResult<TranslationBudget> {
        owner.require_owner()?;
        translations::clear_budget(&self.store, owner.agent.seller_id).await?;
        Ok(self.budget_view(None))
    }

    fn budget_view(&self, own: Option<Option<u64>>) -> TranslationBudget {
        let default = self.translation.settings.seller_monthly_chars;
        TranslationBudget {
            monthly_chars: own.unwrap_or(default),
            own: own.is_some(),
            default_monthly_chars: default,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_zero_or_more_characters_or_none() {
        let of = |n| checked(&BudgetInput { monthly_chars: n });
        assert_eq!(of(None).unwrap(), None);
        assert_eq!(of(Some(0)).unwrap(), Some(0));
        assert_eq!(of(Some(50_000)).unwrap(), Some(50_000));
        let err = of(Some(-1)).unwrap_err();
        assert!(matches!(err, CoreError::Invalid { ref field, .. } if field == "monthly_chars"));
        assert!(of(Some(MAX_MONTHLY_CHARS + 1)).is_err());
    }
}
