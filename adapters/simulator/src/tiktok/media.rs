//! The TikTok simulator's chat image upload (`POST /customer_service/202309/images/upload`,
//! §1.3): the `multipart/form-data` body is read by hand (the file field `data`), the image
//! must be jpg, gif, webp or png of at most 10 MB (the platform's documented limits), and
//! its pixel size is read from its header, as TikTok's reply gives `url`, `width` and
//! `height`. The request's `sign` is checked without the body, as §1.2 says for multipart.
//!
//! Nothing here trusts the adapter's code: the format and size readers are the
//! simulator's own.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::api::ApiError;
use super::auth::Scope;
use super::{Shared, UploadedImage, codes};
use crate::lock;
use crate::server::{Received, accepted_if};

/// Largest image accepted: 10 MB (Upload Buyer Messages Image).
const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// Where uploaded images "live": a reserved, never-resolving host (RFC 2606 `.invalid`).
const IMAGE_URL_PREFIX: &str = "https://sim-tiktok-cdn.invalid/obj/temai-im/";

/// An image format the upload accepts, with its pixel size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageInfo {
    pub(crate) mime: &'static str,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 2)?;
    Some(u32::from(u16::from_be_bytes([b[0], b[1]])))
}

fn le16(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 2)?;
    Some(u32::from(u16::from_le_bytes([b[0], b[1]])))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], 0]))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The format and pixel size of an image, from its header; `None` for anything that is
/// not a readable jpg, gif, webp or png.
pub(crate) fn image_info(bytes: &[u8]) -> Option<ImageInfo> {
    let (mime, width, height) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        // The first chunk is IHDR: width and height, big-endian, after length and type.
        if bytes.get(12..16)? != b"IHDR" {
            return None;
        }
        ("image/png", be32(bytes, 16)?, be32(bytes, 20)?)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ("image/gif", le16(bytes, 6)?, le16(bytes, 8)?)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        let (width, height) = match bytes.get(12..16)? {
            // Extended: canvas size minus one, 24-bit little-endian.
            b"VP8X" => (le24(bytes, 24)? + 1, le24(bytes, 27)? + 1),
            // Lossy: after the frame tag and start code, 14-bit sizes.
            b"VP8 " => (le16(bytes, 26)? & 0x3FFF, le16(bytes, 28)? & 0x3FFF),
            // Lossless: after the signature byte, 14 bits each, minus one.
            b"VP8L" => {
                let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
                ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
            }
            _ => return None,
        };
        ("image/webp", width, height)
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        let (width, height) = jpeg_size(bytes)?;
        ("image/jpeg", width, height)
    } else {
        return None;
    };
    (width > 0 && height > 0).then_some(ImageInfo { mime, width, height })
}

/// A JPEG's size from its first start-of-frame segment.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Fill bytes and markers without a length.
            0xFF => at += 1,
            0x01 | 0xD0..=0xD7 => at += 2,
            // Start of frame (not DHT, JPG or DAC): precision, height, width.
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Some((be16(bytes, at + 7)?, be16(bytes, at + 5)?));
            }
            // End of image or start of scan before any frame: no size.
            0xD9 | 0xDA => return None,
            _ => at += 2 + usize::try_from(be16(bytes, at + 2)?).ok()?,
        }
    }
}

/// The `boundary` of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<&str> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
            .filter(|value| !value.is_empty())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// The content of the form field `name` in a `multipart/form-data` body.
pub(crate) fn form_field<'a>(body: &'a [u8], boundary: &str, name: &str) -> Option<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let mut at = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    loop {
        // After a delimiter: `--` closes the body, CRLF opens a part.
        if body.get(at..at + 2)? == b"--" {
            return None;
        }
        at = find(body, b"\r\n", at)? + 2;
        let headers_end = find(body, b"\r\n\r\n", at)?;
        let headers = std::str::from_utf8(body.get(at..headers_end)?).ok()?;
        let content_start = headers_end + 4;
        let content_end = find(body, next_delimiter.as_bytes(), content_start)?;
        let is_wanted = headers.lines().any(|line| {
            let lower = line.to_ascii_lowercase();
            lower.starts_with("content-disposition:")
                && lower.contains("form-data")
                && line.contains(&wanted)
        });
        if is_wanted {
            return body.get(content_start..content_end);
        }
        at = content_end + next_delimiter.len();
    }
}

/// `POST /customer_service/202309/images/upload`.
pub(crate) async fn upload_image(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim
        .verify(&received, Scope::Shop)
        .and_then(|caller| sim.store_image(&caller.shop_id, &received));
    accepted_if(result.is_ok(), sim.answer(result))
}

impl Shared {
    fn store_image(
        &self, shop_id: &str, received: &Received,
    ) -> Result<serde_json::Value, ApiError> {
        let boundary = received.header("content-type").and_then(boundary).ok_or_else(|| {
            ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid parameter. The body must be multipart/form-data with a boundary.",
            )
        })?;
        let image = form_field(&received.body, boundary, "data").ok_or_else(|| {
            ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid parameter. The form has no file field `data`.",
            )
        })?;
        if image.len() > MAX_IMAGE_BYTES {
            return Err(ApiError::business(
                codes::INVALID_IMAGE,
                "The size of the image must not exceed 10MB.",
            ));
        }
        let info = image_info(image).ok_or_else(|| {
            ApiError::business(
                codes::INVALID_IMAGE,
                "The format of the image must be jpg, gif, webp, or png.",
            )
        })?;
        let mut state = lock(&self.state);
        let url =
            format!("{IMAGE_URL_PREFIX}{}~tplv-origin-image.image", state.catalog.next_image_id());
        state.catalog.images.push(UploadedImage {
            shop_id: shop_id.to_owned(),
            url: url.clone(),
            mime: info.mime.to_owned(),
            width: info.width,
            height: info.height,
            bytes: image.to_vec(),
        });
        Ok(json!({ "url": url, "width": info.width, "height": info.height }))
    }

    /// Whether `url` is an image this shop uploaded (an IMAGE message takes no other).
    pub(crate) fn uploaded_here(&self, shop_id: &str, url: &str) -> bool {
        lock(&self.state)
            .catalog
            .images
            .iter()
            .any(|image| image.shop_id == shop_id && image.url == url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 2, 0, 0, 0]);
        bytes
    }

    #[test]
    fn image_sizes_are_read_from_headers() {
        assert_eq!(
            image_info(&png(640, 480)),
            Some(ImageInfo { mime: "image/png", width: 640, height: 480 })
        );
        let gif = b"GIF89a\x20\x03\x58\x02\0\0\0";
        assert_eq!(image_info(gif).map(|i| (i.width, i.height)), Some((800, 600)));
        // A JPEG with an APP0 segment, then SOF0 (height 0x01E0 = 480, width 0x0280 = 640).
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01,
            0xE0, 0x02, 0x80, 0x03,
        ];
        assert_eq!(
            image_info(&jpeg).map(|i| (i.mime, i.width, i.height)),
            Some(("image/jpeg", 640, 480))
        );
        // WebP extended: canvas 1280 × 720 stored minus one.
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        webp.extend_from_slice(&[0xFF, 0x04, 0x00, 0xCF, 0x02, 0x00]);
        assert_eq!(image_info(&webp).map(|i| (i.width, i.height)), Some((1280, 720)));
        assert_eq!(image_info(b"%PDF-1.7"), None);
        assert_eq!(image_info(&png(0, 10)), None);
        assert_eq!(image_info(&[0xFF, 0xD8, 0xFF]), None);
    }

    #[test]
    fn multipart_fields_are_found_by_name() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nskip\r\n--XyZ\r\nContent-Disposition: form-data; name=\"data\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--\r\n";
        assert_eq!(form_field(body, "XyZ", "data"), Some(&b"\x89PNG\r\n--X"[..]));
        assert_eq!(form_field(body, "XyZ", "other"), Some(&b"skip"[..]));
        assert_eq!(form_field(body, "XyZ", "missing"), None);
        assert_eq!(form_field(b"garbage", "XyZ", "data"), None);
        assert_eq!(boundary("multipart/form-data; boundary=\"abc\""), Some("abc"));
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }
}
