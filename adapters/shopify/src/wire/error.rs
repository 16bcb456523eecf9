//! Why a request could not be built or a reply or payload could not be read.

/// Why a request could not be built or a payload could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A required webhook header is absent or blank.
    #[error("webhook header {0} is missing")]
    MissingHeader(&'static str),
    /// Not a `{name}.myshopify.com` domain.
    #[error("`{0}` is not a myshopify.com shop domain")]
    BadShopDomain(String),
    /// Not an API version (`YYYY-MM` or `unstable`).
    #[error("`{0}` is not an Admin API version")]
    BadApiVersion(String),
    /// An id that must be a plain number is not.
    #[error("`{0}` is not a numeric id")]
    BadId(String),
}
