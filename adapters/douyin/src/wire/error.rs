//! Why a request could not be built or a reply or payload could not be read.

/// Why a request could not be built or a payload could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A method name that is not dotted letters and digits.
    #[error("`{0}` is not an open API method name")]
    BadMethod(String),
    /// A product list page outside what `product.listV2` serves.
    #[error("page {page} of size {size} is outside product.listV2's paging")]
    BadPage {
        /// The page asked for.
        page: u32,
        /// The size asked for.
        size: u32,
    },
}
