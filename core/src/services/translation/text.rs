//! One text's translation for a seller: the cache first, then the monthly budget (the
//! seller's own, else the default; characters reserved under the seller's lock before
//! the call, given back when it fails), then the provider; and the seller's usage
//! report.

use super::{ProviderRequest, Translated, TranslationProvider, UsageReport};
use crate::domain::ids::SellerId;
use crate::domain::translation::*;
use crate::error::CoreResult;
use crate::inbox::Inbox;
use crate::storage::translations::{self, Cached, Fresh};

impl Inbox {
    /// Translates `text` for `seller` from `source` (none: detect) into `target`: from
    /// the cache when the same text and pair was translated before, else by the
    /// provider within the seller's monthly budget, counting its characters. Fails only
    /// on a database error; a provider's failure is in the result.
    pub async fn translate_text(
        &self, seller: SellerId, text: &str, source: Option<&str>, target: &str,
    ) -> CoreResult<Translated> {
        let Some(provider) = self.translation.provider.clone() else {
            return Ok(missing(None, target, "no_provider: no translation provider is configured"));
        };
        let target = self.supported_target(&*provider, target);
        let name = provider.name().to_owned();
        let key = cache_key(&name, source, &target, text);
        if let Some(hit) = translations::cached(&self.store, &key).await? {
            return Ok(Translated {
                provider: Some(name),
                target,
                result: Ok(hit),
                from_cache: true,
            });
        }
        let now = self.clock.now();
        let month = month_of(now);
        let chars = billed_chars(text);
        let default = self.translation.settings.seller_monthly_chars;
        let reserved = translations::reserve(&self.store, seller, &name, &month, chars, default);
        if let Err(budget) = reserved.await? {
            let why =
                format!("budget_exceeded: this month's {budget} translated characters are spent");
            return Ok(missing(Some(name), &target, &why));
        }
        let request = ProviderRequest {
            text: text.to_owned(),
            source: source.map(str::to_owned),
            target: target.clone(),
        };
        let answer = match provider.translate(&request).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(message = "Translation failed.", provider = %name, error = %e);
                translations::release(&self.store, seller, &name, &month, chars).await?;
                return Ok(missing(Some(name), &target, &format!("provider_failed: {e}")));
            }
        };
        let cached = Cached {
            translated: answer.text,
            detected_source: answer.detected_source.as_deref().and_then(normalize_language),
        };
        let fresh = Fresh { key: &key, provider: &name, source, target: &target, cached: &cached };
        translations::cache(&self.store, &fresh, now).await?;
        Ok(Translated { provider: Some(name), target, result: Ok(cached), from_cache: false })
    }

    /// `target`, or English where the provider cannot translate into it (AE-TR-2).
    fn supported_target(&self, provider: &dyn TranslationProvider, target: &str) -> String {
        let lang = normalize_language(target).unwrap_or_else(|| "en".into());
        // rule: AE-TR-2 — English where the reader's language is unsupported.
        if provider.supports(&lang) { lang } else { "en".into() }
    }

    /// A seller's translation usage this month, per provider, with the budget.
    pub async fn translation_usage(
        &self, viewer: &crate::domain::viewer::Viewer,
    ) -> CoreResult<UsageReport> {
        let month = month_of(self.clock.now());
        let providers = translations::usage(&self.store, viewer.agent.seller_id, &month).await?;
        Ok(UsageReport {
            month,
            provider: self.translation.provider.as_ref().map(|p| p.name().to_owned()),
            monthly_budget: self.translation_budget(viewer).await?.monthly_chars,
            providers,
        })
    }
}

fn missing(provider: Option<String>, target: &str, why: &str) -> Translated {
    Translated {
        provider,
        target: normalize_language(target).unwrap_or_else(|| "en".into()),
        result: Err(why.to_owned()),
        from_cache: false,
    }
}
