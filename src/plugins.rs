//! Adapter plugins in the daemon: the libraries of `plugins.dir` and `plugins.paths`
//! loaded at start (each checked by `shopmux-plugin-host`: ABI version first, then its
//! manifest and rule set), served exactly like the built-in adapters; and what
//! `shopmux plugins list` and `shopmux plugins check` print. A refused plugin is logged
//! with its reason and the daemon starts without it.

use crate::config::Config;
use shopmux_contract::adapter::Adapter;
use shopmux_plugin_host::{LoadOutcome, Plugin};
use std::sync::Arc;

/// The platform ids plugins may not take: the built-in adapters'.
pub fn reserved_platforms() -> Vec<String> {
    crate::adapters::builtin_adapters().iter().map(|a| a.platform().as_str().to_owned()).collect()
}

/// Loads the configured plugins: each library with its plugin or its refusal.
pub fn load(config: &Config) -> Vec<LoadOutcome> {
    let reserved = reserved_platforms();
    let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
    // A folder that does not exist simply holds no plugins.
    let dir = config.plugins.dir.as_path();
    let dir = dir.is_dir().then_some(dir);
    shopmux_plugin_host::load_all(dir, &config.plugins.paths, &reserved)
}

/// A configured plugin library as the daemon found it at start (`GET /api/v1/plugins`).
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct PluginStatus {
    /// The library's path.
    pub path: String,
    /// Whether it loaded (else `error` says why it was refused).
    pub loaded: bool,
    /// The plugin's name.
    pub name: Option<String>,
    /// The platform it serves.
    pub platform: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// The plugin ABI it was built for.
    pub abi: Option<String>,
    /// What it declares it can do (`webhooks, sends, polls`).
    pub capabilities: Option<String>,
    /// Why it was refused.
    pub error: Option<String>,
}

/// The plugins that loaded, as adapters (with the configured call time limit), and the
/// status of every configured library; every refusal is logged.
pub fn adapters(config: &Config) -> (Vec<Arc<dyn Adapter>>, Vec<PluginStatus>) {
    let timeout = config.plugins.call_timeout;
    let (mut adapters, mut statuses) = (Vec::new(), Vec::new());
    for outcome in load(config) {
        let path = outcome.path.display().to_string();
        match outcome.result {
            Ok(plugin) => {
                let info = plugin.info();
                tracing::info!(message = "Plugin loaded.", name = %info.name, platform = %info.platform,
                    version = %info.version, abi = %info.abi, path = %info.path.display());
                statuses.push(PluginStatus {
                    path,
                    loaded: true,
                    name: Some(info.name.clone()),
                    platform: Some(info.platform.as_str().to_owned()),
                    version: Some(info.version.clone()),
                    abi: Some(info.abi.to_string()),
                    capabilities: Some(capability_names(&plugin.capabilities())),
                    error: None,
                });
                adapters.push(Arc::new(plugin.with_call_timeout(timeout)) as Arc<dyn Adapter>);
            }
            Err(error) => {
                tracing::error!(message = "Plugin refused.", path = %outcome.path.display(), %error);
                statuses.push(PluginStatus {
                    path,
                    error: Some(error.to_string()),
                    ..Default::default()
                });
            }
        }
    }
    (adapters, statuses)
}

/// One line of `shopmux plugins list`.
pub fn describe(outcome: &LoadOutcome) -> String {
    match &outcome.result {
        Ok(plugin) => describe_plugin(plugin),
        Err(error) => format!("refused  {}  {error}", outcome.path.display()),
    }
}

fn describe_plugin(plugin: &Plugin) -> String {
    let info = plugin.info();
    format!(
        "loaded   {} (platform {}) {}  ABI {}  {}",
        info.name,
        info.platform,
        info.version,
        info.abi,
        info.path.display()
    )
}

/// The capabilities a plugin declares, by name (`webhooks, sends, polls`).
pub fn capability_names(c: &shopmux_contract::Capabilities) -> String {
    let all = [
        ("webhooks", c.webhooks),
        ("signed_inbound", c.signed_inbound),
        ("sends", c.sends),
        ("storefront_chat", c.storefront_chat),
        ("polls", c.polls),
        ("marks_read", c.marks_read),
        ("vets_outbound", c.vets_outbound),
        ("order_look_up", c.order_look_up),
        ("buyer_look_up", c.buyer_look_up),
        ("product_search", c.product_search),
        ("order_cards", c.order_cards),
        ("records_replies", c.records_replies),
        ("authorizes", c.authorizes),
        ("subscribes_webhooks", c.subscribes_webhooks),
    ];
    let names: Vec<&str> = all.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
    if names.is_empty() { "none".into() } else { names.join(", ") }
}
