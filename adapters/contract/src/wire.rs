//! Wire helpers every adapter needs, written once: RFC 3986 percent-encoding of query
//! strings and form bodies, and lenient serde readers for the ids and numbers that
//! marketplaces send sometimes as JSON numbers, sometimes as strings.

use std::fmt::Write as _;

/// Appends `input` percent-encoded, keeping only RFC 3986 unreserved characters.
pub fn percent_encode_into(out: &mut String, input: &str) {
    for byte in input.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// `input` percent-encoded (see [`percent_encode_into`]).
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    percent_encode_into(&mut out, input);
    out
}

/// `key=value&…`, both sides percent-encoded, in the given order (a query string without
/// `?`, or an `application/x-www-form-urlencoded` body).
pub fn query_string(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (idx, (key, value)) in pairs.iter().enumerate() {
        if idx > 0 {
            out.push('&');
        }
        percent_encode_into(&mut out, key);
        out.push('=');
        percent_encode_into(&mut out, value);
    }
    out
}

/// Serde readers (`#[serde(deserialize_with = "…")]`) for fields a platform sends as a
/// string or a number. Numbers read from strings are trimmed; an empty string is none.
pub mod lenient {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};
    use std::str::FromStr;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrNum {
        Str(String),
        Num(serde_json::Number),
    }

    impl StrOrNum {
        fn into_string(self) -> String {
            match self {
                StrOrNum::Str(text) => text,
                StrOrNum::Num(number) => number.to_string(),
            }
        }
    }

    fn parsed<T: FromStr, E: serde::de::Error>(value: StrOrNum) -> Result<Option<T>, E>
    where
        T::Err: std::fmt::Display,
    {
        let text = value.into_string();
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(E::custom)
    }

    /// A string or a number, as text.
    pub fn string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
        Ok(StrOrNum::deserialize(de)?.into_string())
    }

    /// An optional string or number, as text.
    pub fn opt_string<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<StrOrNum>::deserialize(de)?.map(StrOrNum::into_string))
    }

    /// A list of strings or numbers, as texts.
    pub fn strings<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
        Ok(Vec::<StrOrNum>::deserialize(de)?
            .into_iter()
            .map(StrOrNum::into_string)
            .collect())
    }

    /// An integer, as a number or a string.
    pub fn i64<'de, D: Deserializer<'de>>(de: D) -> Result<i64, D::Error> {
        parsed(StrOrNum::deserialize(de)?)?.ok_or_else(|| D::Error::custom("expected an integer"))
    }

    /// An optional integer, as a number or a string.
    pub fn opt_i64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
        Option::<StrOrNum>::deserialize(de)?.map_or(Ok(None), parsed)
    }

    /// An optional `u32`, as a number or a string.
    pub fn opt_u32<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u32>, D::Error> {
        Option::<StrOrNum>::deserialize(de)?.map_or(Ok(None), parsed)
    }

    /// An optional `u64`, as a number or a string.
    pub fn opt_u64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
        Option::<StrOrNum>::deserialize(de)?.map_or(Ok(None), parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(percent_encode("a-Z_0.~ é/&="), "a-Z_0.~%20%C3%A9%2F%26%3D");
        let pairs = [
            ("k y".to_owned(), "v&w".to_owned()),
            ("b".into(), String::new()),
        ];
        assert_eq!(query_string(&pairs), "k%20y=v%26w&b=");
    }

    #[test]
    fn numbers_and_strings_read_the_same() {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(deserialize_with = "lenient::string")]
            id: String,
            #[serde(default, deserialize_with = "lenient::opt_i64")]
            at: Option<i64>,
            #[serde(default, deserialize_with = "lenient::opt_u32")]
            width: Option<u32>,
            #[serde(default, deserialize_with = "lenient::strings")]
            ids: Vec<String>,
        }
        let a: Fields =
            serde_json::from_str(r#"{"id": 7, "at": " 12 ", "width": 640, "ids": [1, "2"]}"#)
                .unwrap();
        assert_eq!(
            (a.id.as_str(), a.at, a.width, a.ids),
            (
                "7",
                Some(12),
                Some(640),
                vec!["1".to_owned(), "2".to_owned()]
            )
        );
        let b: Fields = serde_json::from_str(r#"{"id": "x", "at": "", "width": null}"#).unwrap();
        assert_eq!((b.at, b.width), (None, None));
        assert!(serde_json::from_str::<Fields>(r#"{"id": "x", "at": "soon"}"#).is_err());
        assert!(serde_json::from_str::<Fields>(r#"{"id": "x", "width": -1}"#).is_err());
        assert!(serde_json::from_str::<Fields>(r#"{"id": "x", "at": 1.5}"#).is_err());
    }
}
