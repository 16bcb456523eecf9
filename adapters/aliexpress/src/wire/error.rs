//! Why a request could not be built or a reply or payload could not be read.

use super::GatewayError;

/// Why a request could not be built or a reply could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An API name of the wrong kind or with characters outside the allowed set.
    #[error("`{0}` is not a usable API name here")]
    BadApiName(String),
    /// The gateway answered with an error.
    #[error("gateway error {}: {}", .0.code, .0.message.as_deref().unwrap_or(""))]
    Gateway(Box<GatewayError>),
    /// The reply lacks the `<method>_response` object.
    #[error("reply has no `{0}` object")]
    MissingResponse(String),
}
