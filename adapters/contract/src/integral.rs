//! Integers in JSON as JSON Schema counts them: `38` and `38.0` are the same integer, so
//! a body the OpenAPI document calls valid is read as valid. For serde's
//! `deserialize_with` on integer fields of request bodies.

use serde::de::{Deserialize, Deserializer, Error};

/// Largest magnitude below which every integral `f64` is exact.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// The integer a JSON number spells (`38`, `38.0`, `3.8e1`), if it is one.
fn integer(number: &serde_json::Number) -> Option<i128> {
    if let Some(n) = number.as_i64() {
        return Some(n.into());
    }
    if let Some(n) = number.as_u64() {
        return Some(n.into());
    }
    number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < EXACT).map(|f| f as i128)
}

/// Reads an optional integer of type `T`; a fraction or an out-of-range value is an error.
fn read<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<Option<T>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let n = integer(&number)
        .ok_or_else(|| D::Error::custom(format!("invalid type: {number}, expected an integer")))?;
    T::try_from(n).map(Some).map_err(|_| D::Error::custom(format!("{n} is out of range")))
}

/// An optional `i64`.
pub fn option_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    read(d)
}

/// An optional `i32`.
pub fn option_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    read(d)
}

/// An optional `u8`.
pub fn option_u8<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    read(d)
}

/// A required `u32`.
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    read(d)?.ok_or_else(|| D::Error::custom("invalid type: null, expected an integer"))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::option_i64")]
        n: Option<i64>,
    }

    #[derive(serde::Deserialize)]
    struct Line {
        #[serde(deserialize_with = "super::u32")]
        quantity: u32,
    }

    fn read(json: &str) -> Result<Option<i64>, serde_json::Error> {
        serde_json::from_str::<Body>(json).map(|b| b.n)
    }

    #[test]
    fn integral_numbers_are_integers_whatever_their_spelling() {
        assert_eq!(read(r#"{"n": 38}"#).unwrap(), Some(38));
        assert_eq!(read(r#"{"n": 38.0}"#).unwrap(), Some(38));
        assert_eq!(read(r#"{"n": -3e1}"#).unwrap(), Some(-30));
        assert_eq!(read(r#"{"n": null}"#).unwrap(), None);
        assert_eq!(read("{}").unwrap(), None);
        assert!(read(r#"{"n": 38.5}"#).is_err());
        assert!(read(r#"{"n": "38"}"#).is_err());
    }

    #[test]
    fn an_integer_out_of_its_types_range_is_an_error() {
        let line = |json: &str| serde_json::from_str::<Line>(json).map(|l| l.quantity);
        assert_eq!(line(r#"{"quantity": 299.0}"#).unwrap(), 299);
        assert!(line(r#"{"quantity": -1}"#).is_err());
        assert!(line(r#"{"quantity": 4294967296}"#).is_err());
        assert!(line(r#"{"quantity": null}"#).is_err());
    }
}
