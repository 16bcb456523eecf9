//! Why a request could not be built or a reply or payload could not be read.

use super::ORDER_DETAIL_MAX_IDS;

/// Why a request could not be built or a payload could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An id meant for a URL path segment is empty or holds characters that would change
    /// the path.
    #[error("`{0}` cannot be used as a path segment")]
    BadPathSegment(String),
    /// The bytes to upload are not a jpg, gif, webp or png image (or are empty).
    #[error("not a jpg, gif, webp or png image")]
    UnsupportedImage,
    /// The image to upload is larger than the platform accepts.
    #[error("the image has {bytes} bytes; the limit is {max}")]
    ImageTooLarge {
        /// Bytes in the image.
        bytes: usize,
        /// The limit, [`IMAGE_UPLOAD_MAX_BYTES`].
        max: usize,
    },
    /// An order look-up names no order, more than [`ORDER_DETAIL_MAX_IDS`], or an id that
    /// is not letters and digits.
    #[error("order ids must be 1 to {ORDER_DETAIL_MAX_IDS} ids of letters and digits")]
    BadOrderIds,
    /// A TEXT message is longer than the platform accepts.
    #[error("text has {chars} characters; the limit is {max}")]
    TextTooLong {
        /// Characters in the text.
        chars: usize,
        /// The limit, [`TEXT_MAX_CHARS`].
        max: usize,
    },
}
