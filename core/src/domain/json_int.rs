//! Integers in JSON bodies as JSON Schema counts them: `38` and `38.0` are the same
//! integer, so a body the OpenAPI document calls valid is read as valid.

use serde::de::{Deserialize, Deserializer, Error};

/// Largest magnitude below which every integral `f64` is exact.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// Reads an optional integer written as `38` or `38.0`; `38.5` is an error.
pub fn option_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let integral = || number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < EXACT);
    match number.as_i64().or_else(|| integral().map(|f| f as i64)) {
        Some(n) => Ok(Some(n)),
        None => Err(D::Error::custom(format!("invalid type: {number}, expected an integer"))),
    }
}

/// Reads an optional `i32` written as an integer or an integral number.
pub fn option_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    match option_i64(d)? {
        None => Ok(None),
        Some(n) => {
            i32::try_from(n).map(Some).map_err(|_| D::Error::custom(format!("{n} is out of range")))
        }
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::option_i64")]
        n: Option<i64>,
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
}
