//! AliExpress's failures as adapter errors: what the HTTP layer says (408, 429, 5xx:
//! transient), gateway errors by code and type (an invalid token, a bad signature, call
//! limits, the platform's own trouble), and business refusals inside a successful reply
//! (permanent `aliexpress_{code}`).

use shopmux_contract::adapter::{AdapterError, HttpResponse};

use crate::wire::{GatewayError, Refusal};

/// Classifies a gateway error (`{type, code, message}`).
pub(super) fn gateway_failure(error: &GatewayError) -> AdapterError {
    let message = error
        .message
        .clone()
        .or_else(|| error.sub_msg.clone())
        .unwrap_or_else(|| error.code.clone());
    let sub = error.sub_code.as_deref().unwrap_or_default();
    match error.code.as_str() {
        // IOP's invalid-or-expired token; TOP's 27 / invalid-sessionkey.
        "IllegalAccessToken" | "27" => AdapterError::permanent("token_expired", message),
        "IncompleteSignature" | "25" => AdapterError::permanent("invalid_sign", message),
        "ApiCallLimit" | "AppCallLimit" | "7" => AdapterError::transient("rate_limited", message),
        _ if sub.contains("sessionkey") => AdapterError::permanent("token_expired", message),
        _ if matches!(error.kind.as_deref(), Some("ISP" | "SYSTEM")) => {
            AdapterError::transient(format!("aliexpress_{}", error.code), message)
        }
        code => AdapterError::permanent(format!("aliexpress_{code}"), message),
    }
}

/// Classifies what the HTTP layer says before the body is read: 408, 429 and 5xx.
pub(super) fn http_failure(response: &HttpResponse) -> Option<AdapterError> {
    let status = response.status;
    (status == 408 || status == 429 || status >= 500)
        .then(|| AdapterError::from_status(response, format!("AliExpress answered HTTP {status}")))
}

/// A business refusal inside a successful reply.
pub(super) fn business_failure(refusal: Refusal<'_>) -> AdapterError {
    AdapterError::permanent(
        format!("aliexpress_{}", refusal.code.unwrap_or("refused")),
        refusal.message.unwrap_or("AliExpress refused the call").to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_errors_are_classified() {
        let error = |code: &str, kind: Option<&str>| GatewayError {
            code: code.into(),
            kind: kind.map(str::to_owned),
            message: Some("m".into()),
            sub_code: None,
            sub_msg: None,
            request_id: None,
        };
        let e = gateway_failure(&error("IllegalAccessToken", Some("ISV")));
        assert_eq!((e.code.as_str(), e.retryable), ("token_expired", false));
        assert!(gateway_failure(&error("ApiCallLimit", Some("ISP"))).retryable);
        assert!(gateway_failure(&error("ServiceUnavailable", Some("SYSTEM"))).retryable);
        let e = gateway_failure(&error("InvalidParameter", Some("ISV")));
        assert_eq!((e.code.as_str(), e.retryable), ("aliexpress_InvalidParameter", false));
    }
}
