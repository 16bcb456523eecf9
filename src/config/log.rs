//! `[log]`: how the daemon's logs are written — raw, and validated with every problem
//! named by its key. The level stays `RUST_LOG`'s (default `info`).

use super::Problems;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// `[log]`: how the daemon's logs are written (to standard error).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLogConfig {
    /// `text` (default: one human-readable line per event) or `json` (one JSON object
    /// per line, with `timestamp`, `level`, `target`, the event's `fields` and its
    /// spans: for log collectors).
    pub format: String,
}

impl Default for RawLogConfig {
    fn default() -> Self {
        Self { format: "text".into() }
    }
}

/// How log lines are written (`log.format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("`{other}` is not one of text, json")),
        }
    }
}

impl RawLogConfig {
    pub(super) fn validate(self, problems: &mut Problems) -> LogFormat {
        problems.parse("log.format", &self.format).unwrap_or_default()
    }
}
