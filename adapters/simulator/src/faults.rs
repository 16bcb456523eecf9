//! Fault knobs for the simulated APIs, drawn from a seeded RNG.
//!
//! Every request the simulator receives takes exactly one draw, uniform in `[0, 1)`, from an
//! RNG seeded with [`Faults::seed`]; the draw falls into one band of the cumulative
//! probabilities, in this order: [`server_error`](Faults::server_error),
//! [`timeout`](Faults::timeout), [`rate_limit`](Faults::rate_limit),
//! [`accepted_then_server_error`](Faults::accepted_then_server_error),
//! [`accepted_then_timeout`](Faults::accepted_then_timeout), and no fault. So the same seed
//! and the same sequence of requests give the same faults, whatever the requests are.
//! Setting faults (at start or with a handle's `set_faults`) reseeds the RNG.
//!
//! What each fault does:
//!
//! - **server error**: the request is not processed; the answer is
//!   [`server_error_status`](Faults::server_error_status) with the platform's error body.
//! - **timeout**: the request is held for [`hold`](Faults::hold); then, per
//!   [`after_hold`](Faults::after_hold), it is processed and answered late
//!   ([`AfterHold::Answer`]; it takes effect even when the client has given up), or the
//!   connection is closed without an answer and nothing happens ([`AfterHold::Drop`]).
//! - **rate limit**: not processed; the platform's rate-limit answer (TikTok: HTTP 429 with
//!   `retry-after`; Douyin: see `douyin::codes::RATE_LIMITED`).
//! - **accepted then server error / accepted then timeout**: for the calls that change state
//!   (TikTok: send message; Douyin: `token.create`, `token.refresh`), the request is processed
//!   and its effect kept, but the answer is a server error, or the request is held for
//!   [`hold`](Faults::hold) and the connection closed without an answer. This is the case
//!   that makes a client retry something that already happened. On other calls, and on
//!   calls the simulator refuses, the band means no fault.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::SimError;

/// What happens to a held request when [`Faults::hold`] is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AfterHold {
    /// Process the request and answer, late.
    #[default]
    Answer,
    /// Close the connection without an answer; the request has no effect.
    Drop,
}

/// Fault probabilities and their parameters. Probabilities are in `[0, 1]` and their sum is
/// at most 1. `Faults::default()` injects nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Seed of the RNG the faults are drawn from.
    pub seed: u64,
    /// Probability of a server error without processing.
    pub server_error: f64,
    /// HTTP status of a server error, 500–599 (default 500).
    pub server_error_status: u16,
    /// Probability of holding a request for [`Faults::hold`].
    pub timeout: f64,
    /// How long a held request is held (default 10 s).
    pub hold: Duration,
    /// What happens after the hold of a [`Faults::timeout`] fault.
    pub after_hold: AfterHold,
    /// Probability of a rate-limit answer without processing.
    pub rate_limit: f64,
    /// `retry-after` seconds on a TikTok rate-limit answer (default 1).
    pub retry_after_secs: u32,
    /// Probability that a state-changing call is processed but answered with a server error.
    pub accepted_then_server_error: f64,
    /// Probability that a state-changing call is processed, then held for [`Faults::hold`]
    /// and its connection closed without an answer.
    pub accepted_then_timeout: f64,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            seed: 0,
            server_error: 0.0,
            server_error_status: 500,
            timeout: 0.0,
            hold: Duration::from_secs(10),
            after_hold: AfterHold::Answer,
            rate_limit: 0.0,
            retry_after_secs: 1,
            accepted_then_server_error: 0.0,
            accepted_then_timeout: 0.0,
        }
    }
}

impl Faults {
    /// Checks that every probability is in `[0, 1]`, that they sum to at most 1, and that
    /// the server-error status is a 5xx.
    pub fn validate(&self) -> Result<(), SimError> {
        let named = self.bands();
        for (name, probability) in named {
            if !(0.0..=1.0).contains(&probability) {
                return Err(SimError::InvalidFaults(format!(
                    "{name} = {probability} is not a probability"
                )));
            }
        }
        let sum: f64 = named.iter().map(|(_, probability)| probability).sum();
        if sum > 1.0 + 1e-9 {
            return Err(SimError::InvalidFaults(format!(
                "probabilities sum to {sum}, more than 1"
            )));
        }
        if !(500..=599).contains(&self.server_error_status) {
            return Err(SimError::InvalidFaults(format!(
                "server_error_status {} is not a 5xx",
                self.server_error_status
            )));
        }
        Ok(())
    }

    fn bands(&self) -> [(&'static str, f64); 5] {
        [
            ("server_error", self.server_error),
            ("timeout", self.timeout),
            ("rate_limit", self.rate_limit),
            ("accepted_then_server_error", self.accepted_then_server_error),
            ("accepted_then_timeout", self.accepted_then_timeout),
        ]
    }
}

/// A fault that was applied to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answered with a server error, not processed.
    ServerError,
    /// Held, then answered or dropped per [`AfterHold`].
    Timeout,
    /// Answered as rate limited, not processed.
    RateLimited,
    /// Processed, then answered with a server error.
    AcceptedThenServerError,
    /// Processed, then held and dropped without an answer.
    AcceptedThenTimeout,
}

/// One request as the simulator saw it, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The fault applied, if any.
    pub fault: Option<FaultKind>,
}

/// The seeded RNG and the knobs it serves.
pub(crate) struct FaultState {
    faults: Faults,
    rng: StdRng,
}

impl FaultState {
    /// Validates `faults` and seeds a fresh RNG with `faults.seed`.
    pub(crate) fn new(faults: Faults) -> Result<FaultState, SimError> {
        faults.validate()?;
        Ok(FaultState { faults, rng: StdRng::seed_from_u64(faults.seed) })
    }

    /// One draw: the fault for the next request (if any) and the knobs in force.
    pub(crate) fn draw(&mut self) -> (Option<FaultKind>, Faults) {
        let roll: f64 = self.rng.random();
        let kinds = [
            FaultKind::ServerError,
            FaultKind::Timeout,
            FaultKind::RateLimited,
            FaultKind::AcceptedThenServerError,
            FaultKind::AcceptedThenTimeout,
        ];
        let mut upper = 0.0;
        for (kind, (_, probability)) in kinds.into_iter().zip(self.faults.bands()) {
            upper += probability;
            if roll < upper {
                return (Some(kind), self.faults);
            }
        }
        (None, self.faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(Faults::default().validate().is_ok());
        let too_much = Faults { server_error: 0.6, rate_limit: 0.6, ..Faults::default() };
        assert!(matches!(too_much.validate(), Err(SimError::InvalidFaults(_))));
        let negative = Faults { timeout: -0.1, ..Faults::default() };
        assert!(negative.validate().is_err());
        let not_5xx = Faults { server_error_status: 429, ..Faults::default() };
        assert!(not_5xx.validate().is_err());
    }

    #[test]
    fn same_seed_same_draws_and_certain_faults() {
        let faults = Faults { seed: 7, server_error: 0.25, rate_limit: 0.25, ..Faults::default() };
        let draw_all = |faults: Faults| {
            let mut state = FaultState::new(faults).expect("valid");
            (0..64).map(|_| state.draw().0).collect::<Vec<_>>()
        };
        let first = draw_all(faults);
        assert_eq!(first, draw_all(faults));
        assert!(first.contains(&Some(FaultKind::ServerError)));
        assert!(first.contains(&Some(FaultKind::RateLimited)));
        assert!(first.contains(&None));

        let always = Faults { accepted_then_timeout: 1.0, ..Faults::default() };
        assert!(draw_all(always).iter().all(|kind| *kind == Some(FaultKind::AcceptedThenTimeout)));
        assert!(draw_all(Faults::default()).iter().all(Option::is_none));
    }
}
