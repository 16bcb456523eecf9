//! The storefront widget's look and reach as a shop sets it (`settings.widget`): where
//! the launcher sits, its colour and label, and the store origins whose pages may call
//! the daemon cross-origin (CORS) when the widget is not served through the platform's
//! app proxy. Checked when the settings are saved; an absent key is the defaults.

use crate::error::{CoreError, CoreResult};
use serde::{Deserialize, Serialize};

/// The most origins a shop lists.
pub const MAX_ORIGINS: usize = 20;
/// The longest launcher label, in characters.
pub const MAX_LABEL_CHARS: usize = 40;

/// Which bottom corner of the store's page the launcher sits in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LauncherPosition {
    /// Bottom right (the default).
    #[default]
    BottomRight,
    /// Bottom left.
    BottomLeft,
}

/// `settings.widget` as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct WidgetSettings {
    /// The launcher's corner.
    pub position: LauncherPosition,
    /// The launcher's and header's colour, `#rgb` or `#rrggbb`; none: the widget's blue.
    pub color: Option<String>,
    /// The launcher's label (1 to 40 characters); none: "Chat with us" in the customer's
    /// language.
    pub label: Option<String>,
    /// Store origins (`https://store.example`) whose pages may call the storefront
    /// endpoints cross-origin, besides the daemon's `storefront.allowed_origins`.
    pub allowed_origins: Vec<String>,
}

/// Whether `origin` is a bare origin: `http(s)://host[:port]`, lowercase, nothing after.
pub fn is_origin(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest.len() <= 253
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-:[]".contains(&b))
}

fn is_color(color: &str) -> bool {
    let Some(hex) = color.strip_prefix('#') else { return false };
    matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

fn checked_label(label: &str) -> CoreResult<String> {
    let label = label.trim();
    let n = label.chars().count();
    if n == 0 || n > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "settings.widget.label",
            format!("1 to {MAX_LABEL_CHARS} characters, no control characters"),
        ));
    }
    Ok(label.to_owned())
}

fn checked_origins(origins: Vec<String>) -> CoreResult<Vec<String>> {
    if origins.len() > MAX_ORIGINS {
        let message = format!("at most {MAX_ORIGINS} origins");
        return Err(CoreError::invalid("settings.widget.allowed_origins", message));
    }
    origins
        .into_iter()
        .map(|o| {
            let origin = o.trim().trim_end_matches('/').to_ascii_lowercase();
            if is_origin(&origin) {
                Ok(origin)
            } else {
                Err(CoreError::invalid(
                    "settings.widget.allowed_origins",
                    "each must be an origin like `https://store.example`",
                ))
            }
        })
        .collect()
}

/// The widget settings of a shop's settings, checked (defaults when absent).
pub fn widget_settings(settings: &serde_json::Value) -> CoreResult<WidgetSettings> {
    let Some(value) = settings.get("widget") else {
        return Ok(WidgetSettings::default());
    };
    let raw: WidgetSettings = serde_json::from_value(value.clone())
        .map_err(|e| CoreError::invalid("settings.widget", e.to_string()))?;
    if let Some(color) = &raw.color
        && !is_color(color)
    {
        return Err(CoreError::invalid("settings.widget.color", "a colour like `#1f6feb`"));
    }
    Ok(WidgetSettings {
        position: raw.position,
        color: raw.color.map(|c| c.to_ascii_lowercase()),
        label: raw.label.as_deref().map(checked_label).transpose()?,
        allowed_origins: checked_origins(raw.allowed_origins)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn widget_settings_are_checked_and_default_when_absent() {
        assert_eq!(widget_settings(&json!({})).unwrap(), WidgetSettings::default());
        let set = json!({"widget": {"position": "bottom_left", "color": "#A0B0C0",
            "label": " Ask us ", "allowed_origins": ["https://Store.Example/"]}});
        let w = widget_settings(&set).unwrap();
        assert_eq!(w.position, LauncherPosition::BottomLeft);
        assert_eq!(w.color.as_deref(), Some("#a0b0c0"));
        assert_eq!(w.label.as_deref(), Some("Ask us"));
        assert_eq!(w.allowed_origins, ["https://store.example"]);
        let too_many: Vec<String> = (0..21).map(|i| format!("https://s{i}.example")).collect();
        for bad in [
            json!({"widget": {"color": "red"}}),
            json!({"widget": {"color": "#12345"}}),
            json!({"widget": {"label": ""}}),
            json!({"widget": {"label": "x".repeat(41)}}),
            json!({"widget": {"label": "a\u{7}b"}}),
            json!({"widget": {"position": "top"}}),
            json!({"widget": {"allowed_origins": ["https://s.example/path"]}}),
            json!({"widget": {"allowed_origins": ["javascript:alert(1)"]}}),
            json!({"widget": {"allowed_origins": too_many}}),
            json!({"widget": {"other": 1}}),
        ] {
            assert!(widget_settings(&bad).is_err(), "{bad}");
        }
    }
}
