//! Password sign-in for the web inbox: signing in with a login and a password (one
//! answer for an unknown login and a wrong password, with the same argon2 work for
//! both), the web sessions a browser's cookie names (idle and absolute expiry by the
//! injected clock), signing out, and setting passwords — which ends the account's web
//! sessions. Bearer tokens are untouched by all of this.

use crate::domain::ids::AgentId;
use crate::domain::model::{Agent, Role};
use crate::domain::sign_in::{Password, WebSession, new_session_token, normalize_login};
use crate::domain::sign_in::{validate_login, verify_password};
use crate::domain::viewer::{Viewer, hash_token};
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::services::accounts::{AgentView, hash_blocking};
use crate::storage::write::Db;
use crate::storage::{accounts, web_sessions};
use serde::Deserialize;

/// A new password for an account, and its login if it has none yet (or a new one).
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The password, 10 to 256 characters.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 10, max_length = 256))]
    pub password: Password,
    /// A login to set with it (3 to 64 of `a-z`, `0-9`, `.`, `_`, `-`, `@`); absent: the
    /// account keeps its own (an account without one cannot sign in yet).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*[A-Za-z0-9._@-]{3,64}\s*$"))]
    pub login: Option<String>,
}

/// A successful sign-in: the account, the cookie's token (never stored) and the session.
#[derive(Debug)]
pub struct SignedIn {
    /// The account signed in.
    pub agent: Agent,
    /// The session's token, for the cookie; only its hash is stored.
    pub token: String,
    /// The session (with its CSRF token and its end).
    pub session: WebSession,
}

/// Verifies a password against a stored hash (or a dummy one) on the blocking pool.
async fn verify_blocking(stored: Option<String>, password: Password) -> CoreResult<bool> {
    tokio::task::spawn_blocking(move || verify_password(stored.as_deref(), &password))
        .await
        .map_err(|_| CoreError::Unavailable("password verification"))
}

impl Inbox {
    /// Signs in with a login and a password; none for an unknown login, an account
    /// without a password, a deactivated account, or a wrong password alike (each verifies one argon2 hash, so
    /// they take as long). Expired sessions are swept on the way.
    pub async fn sign_in(&self, login: &str, password: Password) -> CoreResult<Option<SignedIn>> {
        let found = accounts::agent_by_login(&self.store, &normalize_login(login)).await?;
        let (agent, stored) = match found {
            Some((agent, stored)) => (Some(agent), stored),
            None => (None, None),
        };
        let matches = verify_blocking(stored, password).await?;
        let Some(agent) = agent.filter(|a| matches && a.active) else {
            return Ok(None);
        };
        let now = self.clock.now();
        let token = new_session_token();
        let session = WebSession::start(&token, agent.id, now);
        let mut w = self.store.begin_write().await?;
        web_sessions::purge_expired(&mut w, now).await?;
        web_sessions::insert(&mut w, &session).await?;
        w.commit().await?;
        Ok(Some(SignedIn { agent, token, session }))
    }

    /// The viewer and the session a cookie's token names, while the session is live
    /// (a use is recorded at most once a minute); none otherwise. A session found
    /// expired is deleted.
    pub async fn web_session(&self, token: &str) -> CoreResult<Option<(Viewer, WebSession)>> {
        let Some(session) = web_sessions::find(&self.store, &hash_token(token)).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if !session.is_live(now) {
            let mut w = self.store.begin_write().await?;
            web_sessions::delete(&mut w, &session.token_hash).await?;
            w.commit().await?;
            return Ok(None);
        }
        let agent = accounts::agent(Db::Pool(&self.store), session.agent_id, None).await?;
        let Some(agent) = agent.filter(|a| a.active) else {
            return Ok(None);
        };
        if session.needs_touch(now) {
            let mut w = self.store.begin_write().await?;
            web_sessions::touch(&mut w, &session.token_hash, now).await?;
            w.commit().await?;
        }
        Ok(Some((self.viewer_for(agent).await?, session)))
    }

    /// Ends the session of a cookie's token; whether there was one.
    pub async fn sign_out(&self, token: &str) -> CoreResult<bool> {
        let mut w = self.store.begin_write().await?;
        let n = web_sessions::delete(&mut w, &hash_token(token)).await?;
        w.commit().await?;
        Ok(n > 0)
    }

    /// Sets an account's password (and its login, if given), ending its web sessions.
    /// The main account may set any of its seller's; an account its own.
    pub async fn set_password(
        &self, viewer: &Viewer, agent_id: AgentId, input: SetPassword,
    ) -> CoreResult<AgentView> {
        if !viewer.is_owner() && viewer.agent.id != agent_id {
            return Err(CoreError::Forbidden(
                "only the main account may set another account's password".into(),
            ));
        }
        let mut view = self.agent(viewer, agent_id).await?;
        self.write_password(&mut view.agent, input).await?;
        Ok(view)
    }

    /// Sets the password of the main account signing in with `login` (the command line's
    /// `owner password`), ending its web sessions.
    pub async fn set_owner_password(&self, login: &str, password: Password) -> CoreResult<Agent> {
        let found = accounts::agent_by_login(&self.store, &normalize_login(login)).await?;
        let mut agent = match found {
            Some((agent, _)) if agent.role == Role::Owner => agent,
            _ => return Err(CoreError::invalid("login", "no main account has this login")),
        };
        self.write_password(&mut agent, SetPassword { password, login: None }).await?;
        Ok(agent)
    }

    async fn write_password(&self, agent: &mut Agent, input: SetPassword) -> CoreResult<()> {
        let login = input.login.as_deref().map(validate_login).transpose()?;
        let hash = hash_blocking(input.password).await?;
        let mut w = self.store.begin_write().await?;
        accounts::set_password(&mut w, agent, login.clone(), hash).await?;
        web_sessions::delete_of_agent(&mut w, agent.id).await?;
        w.commit().await?;
        agent.has_password = true;
        agent.login = login.or(agent.login.take());
        Ok(())
    }

    /// Frees a login: the account holding it loses its login and password and its web
    /// sessions end (it keeps its token). `shopmux demo` takes its fixed logins back
    /// from an earlier run's accounts this way. Whether an account held it.
    pub async fn release_login(&self, login: &str) -> CoreResult<bool> {
        let Some((agent, _)) =
            accounts::agent_by_login(&self.store, &normalize_login(login)).await?
        else {
            return Ok(false);
        };
        let mut w = self.store.begin_write().await?;
        accounts::clear_sign_in(&mut w, agent.id).await?;
        web_sessions::delete_of_agent(&mut w, agent.id).await?;
        w.commit().await?;
        Ok(true)
    }

    /// How many web sessions an account has in the store, live or not.
    pub async fn web_session_count(&self, agent: AgentId) -> CoreResult<i64> {
        web_sessions::count_of_agent(&self.store, agent).await
    }
}
