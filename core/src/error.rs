//! The core's error type. Every failure a caller can act on has its own variant; the
//! HTTP layer maps each to a status code and an error code.

use thiserror::Error;

/// A failure of a core operation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CoreError {
    /// The thing does not exist, or the caller may not see it.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may see the thing but not do this to it.
    #[error("{0}")]
    Forbidden(String),
    /// A field of the input is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as the caller named it (`content.text`, `capacity`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A field's value is refused for a reason with its own stable code
    /// (`unknown_variable`, `unfilled_variable`).
    #[error("{field}: {message}")]
    Unprocessable {
        /// The stable code.
        code: &'static str,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The request conflicts with the current state (a duplicate name, a wrong state).
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The ingest writer's own SQLite connection failed (see `store::SqliteWriter`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed.
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A platform rule refuses the action.
    #[error("{} ({})", .0.message, .0.rule)]
    RuleViolation(crate::domain::rules::Refusal),
    /// An agent's message breaks off-platform contact policies of the shop that the
    /// agent has not acknowledged; every finding of the draft is listed.
    #[error("the message breaks the shop's contact policies; acknowledge them to send anyway")]
    PolicyWarning(Vec<crate::domain::compliance::Finding>),
    /// The daemon is shutting down or a worker is gone.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// A platform (its adapter) could not answer: a look-up or a check the action needs.
    /// `retryable` says whether trying again later may succeed.
    #[error("the platform could not answer: {0}")]
    Platform(shopmux_contract::AdapterError),
}

impl From<shopmux_contract::content::ContentError> for CoreError {
    fn from(e: shopmux_contract::content::ContentError) -> Self {
        Self::invalid(e.field, e.message)
    }
}

impl CoreError {
    /// An invalid-field error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }
}

/// The core's result type.
pub type CoreResult<T> = Result<T, CoreError>;
