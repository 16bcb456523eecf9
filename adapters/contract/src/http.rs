//! The HTTP values that cross the contract: a request an adapter asks the host to
//! perform and its answer, a webhook delivery as received (raw body and headers, since
//! signatures cover the exact bytes), and the body a platform expects in answer.

use serde::{Deserialize, Serialize};

/// The first header of that name (compared without case) among `headers`.
fn header_of<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// An HTTP request an adapter asks the host to perform.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The full URL, query included.
    pub url: String,
    /// Headers, in order.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The exact body bytes (signatures cover them).
    #[serde(default)]
    pub body: Vec<u8>,
    /// Give up after this long; the host's default when absent.
    pub timeout_ms: Option<u64>,
}

/// The platform's answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers, lowercase names.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    #[serde(default)]
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_of(&self.headers, name)
    }
}

/// A webhook delivery as received: the raw body (signatures cover the exact bytes) and
/// its headers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRequest {
    /// Headers, lowercase names.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl WebhookRequest {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_of(&self.headers, name)
    }
}

/// The body a platform expects in answer to its webhook, when it expects one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAnswer {
    /// The content type.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}
