//! Outgoing email (`[smtp]`): how a storefront reply reaches a customer who left the
//! store (SH-ONLINE-1). A real SMTP client (lettre) with STARTTLS, implicit TLS or, for
//! a local relay, none.

use crate::config::{SmtpConfig, SmtpTls};
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
    /// The mailer of the configuration; none when there is no `[smtp]` host.
    pub fn from_config(config: Option<&SmtpConfig>) -> anyhow::Result<Option<Self>> {
        let Some(config) = config else {
            return Ok(None);
        };
        let host = config.host.as_str();
        let mut builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| anyhow::anyhow!("smtp.host: {e}"))?,
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| anyhow::anyhow!("smtp.host: {e}"))?,
        }
        .port(config.port);
        if let Some(login) = &config.login {
            builder = builder
                .credentials(Credentials::new(login.username.clone(), login.password.0.clone()));
        }
        Ok(Some(Self { transport: builder.build(), from: config.from.clone() }))
    }

    /// Sends a plain-text mail. Transport failures are retryable; a refused address is not.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), AdapterError> {
        let to: Mailbox =
            to.parse().map_err(|e| AdapterError::permanent("bad_email", format!("{e}")))?;
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
