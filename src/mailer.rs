//! Outgoing email (`[smtp]`): how a storefront reply reaches a customer who left the
//! store (SH-ONLINE-1). A real SMTP client (lettre) with STARTTLS, implicit TLS or, for
//! a local relay, none.

use crate::config::SmtpConfig;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use shopmux_contract::adapter::AdapterError;

/// Sends mail through the configured SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// The mailer of the configuration; none when `smtp.host` is empty.
    pub fn from_config(config: &SmtpConfig) -> anyhow::Result<Option<Self>> {
        if config.host.trim().is_empty() {
            return Ok(None);
        }
        let mut builder = match config.tls.as_str() {
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?,
        }
        .port(config.port);
        if !config.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                config.username.clone(),
                config.password.clone(),
            ));
        }
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("smtp.from: {e}"))?;
        Ok(Some(Self {
            transport: builder.build(),
            from,
        }))
    }

    /// Sends a plain-text mail. Transport failures are retryable; a refused address is not.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), AdapterError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| AdapterError::permanent("bad_email", format!("{e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| AdapterError::permanent("bad_email", e.to_string()))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                AdapterError::permanent("smtp_refused", e.to_string())
            } else {
                AdapterError::transient("smtp", e.to_string())
            }
        })
    }
}
