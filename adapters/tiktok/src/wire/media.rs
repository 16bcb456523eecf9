//! The chat image upload ("Upload Buyer Messages Image", §1.3): the formats and size
//! TikTok takes, recognised by magic number, and the `multipart/form-data` request whose
//! body takes no part in the signature (§1.2 step 4). The reply's `url`, `width` and
//! `height` go into an IMAGE message.

use serde::{Deserialize, Serialize};
use shopmux_contract::wire::lenient;

use super::request::{HttpMethod, RequestContext, WireRequest, build_signed};
use super::{API_VERSION, WireError};

/// Largest image "Upload Buyer Messages Image" accepts: 10 MB.
pub const IMAGE_UPLOAD_MAX_BYTES: usize = 10 * 1024 * 1024;

/// An image format "Upload Buyer Messages Image" accepts (jpg, gif, webp, png).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// GIF.
    Gif,
    /// WebP.
    Webp,
}

impl ImageFormat {
    /// The format of `bytes` by their magic number; `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageFormat::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(ImageFormat::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageFormat::Webp)
        } else {
            None
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Webp => "image/webp",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Png => "png",
            ImageFormat::Gif => "gif",
            ImageFormat::Webp => "webp",
        }
    }
}

/// The multipart boundary for a body carrying `content`: derived from the content's
/// SHA-256, so the same image always gives the same request, and the boundary cannot
/// occur in it by accident.
fn multipart_boundary(content: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(content);
    format!("shopmux-{}", hex::encode(&digest[..16]))
}

/// Upload an image for a chat message (`POST /customer_service/202309/images/upload`,
/// §1.3): a `multipart/form-data` body with the image as the file field `data`. The body
/// is **not** part of the signature (§1.2 step 4). The reply is [`UploadedImage`], whose
/// `url`, `width` and `height` go into an IMAGE message.
pub fn upload_image(ctx: &RequestContext<'_>, image: &[u8]) -> Result<WireRequest, WireError> {
    let format = ImageFormat::sniff(image).ok_or(WireError::UnsupportedImage)?;
    if image.len() > IMAGE_UPLOAD_MAX_BYTES {
        return Err(WireError::ImageTooLarge { bytes: image.len(), max: IMAGE_UPLOAD_MAX_BYTES });
    }
    let boundary = multipart_boundary(image);
    let mut body = Vec::with_capacity(image.len() + 256);
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!(
            "Content-Disposition: form-data; name=\"data\"; filename=\"image.{}\"\r\n",
            format.extension()
        )
        .as_bytes(),
    );
    body.extend_from_slice(format!("Content-Type: {}\r\n\r\n", format.mime()).as_bytes());
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok(build_signed(
        ctx,
        HttpMethod::Post,
        format!("/customer_service/{API_VERSION}/images/upload"),
        Vec::new(),
        body,
        Some(format!("multipart/form-data; boundary={boundary}")),
        false,
    ))
}

/// `data` of "Upload Buyer Messages Image" (sizes may arrive as strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedImage {
    /// `url`, for the IMAGE message.
    pub url: String,
    /// `width` in pixels.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub width: Option<u32>,
    /// `height` in pixels.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub height: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ctx, png};
    use super::super::request::ApiResponse;
    use super::*;

    #[test]
    fn image_upload_is_multipart_and_its_body_is_not_signed() {
        let image = png();
        let request = upload_image(&ctx(), &image).expect("builds");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.path, "/customer_service/202309/images/upload");
        // Computed with Python's hmac over an empty body (§1.2 step 4).
        assert_eq!(
            request.query_param("sign"),
            Some("c00eaa47409df2c55afc6ec7f773adf8d1ba76c407dbd34e1314de940be4981d")
        );
        let content_type = request
            .headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| value.clone())
            .expect("content type");
        let boundary =
            content_type.strip_prefix("multipart/form-data; boundary=").expect("multipart");
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"image.png\"\r\nContent-Type: image/png\r\n\r\n"
        );
        assert!(request.body.starts_with(head.as_bytes()));
        assert!(request.body.ends_with(format!("\r\n--{boundary}--\r\n").as_bytes()));
        assert_eq!(&request.body[head.len()..head.len() + image.len()], image.as_slice());
        // The same image gives the same request.
        assert_eq!(upload_image(&ctx(), &image).expect("builds"), request);
    }

    #[test]
    fn image_upload_refuses_what_tiktok_does_not_take() {
        let ctx = ctx();
        assert!(matches!(upload_image(&ctx, b"%PDF-1.7"), Err(WireError::UnsupportedImage)));
        assert!(matches!(upload_image(&ctx, b""), Err(WireError::UnsupportedImage)));
        let mut huge = png();
        huge.resize(IMAGE_UPLOAD_MAX_BYTES + 1, 0);
        assert!(matches!(upload_image(&ctx, &huge), Err(WireError::ImageTooLarge { .. })));
        assert_eq!(ImageFormat::sniff(b"GIF89a...."), Some(ImageFormat::Gif));
        assert_eq!(ImageFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::Webp));
        assert_eq!(ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageFormat::Jpeg));
        let uploaded: ApiResponse<UploadedImage> = serde_json::from_str(
            r#"{"code":0,"message":"Success","data":{"url":"https://p16/a","width":"640","height":480}}"#,
        )
        .expect("parses");
        let uploaded = uploaded.data.expect("data");
        assert_eq!((uploaded.width, uploaded.height), (Some(640), Some(480)));
    }
}
