//! `shopmux demo` (being written).

use crate::config::Config;

/// Runs the demo until Ctrl-C.
pub async fn run(_config: &Config) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
