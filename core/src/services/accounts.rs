//! Sellers and agent accounts: creating them with their tokens (random, shown once,
//! stored as SHA-256 hashes) and, optionally, a login and a password (see `sign_in`),
//! their shop grants (changed in `access`), and the viewer a token belongs to — who is asking, and which
//! shops they may see and chat in.

use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::sign_in::{Password, hash_password, validate_login, validate_password};
use crate::domain::viewer::{Viewer, hash_token, new_token};
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::write::Db;
use crate::storage::{accounts, shops};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// New agent account input.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// Nickname, unique within the seller.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = r"\S"))]
    pub nickname: String,
    /// `agent` (sub-account, the default) or `operator`.
    pub role: Option<Role>,
    /// Most simultaneous buyers (1..50, default 10).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    #[serde(default, deserialize_with = "shopmux_contract::integral::option_i64")]
    pub capacity: Option<i64>,
    /// Shops granted, with chat permission.
    #[serde(default)]
    pub shops: Vec<ShopGrant>,
    /// The name it signs in with in a browser: 3 to 64 of `a-z`, `0-9`, `.`, `_`, `-`,
    /// `@` (lowercased), unique across the daemon.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*[A-Za-z0-9._@-]{3,64}\s*$"))]
    pub login: Option<String>,
    /// Its password (10 to 256 characters; needs a `login`). Without one it signs in
    /// with its token only, until the owner sets one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password, min_length = 10, max_length = 256))]
    pub password: Option<Password>,
}

/// A new seller's main account: its name, and optionally how it signs in.
#[derive(Clone, Debug, Default)]
pub struct NewOwner {
    /// The seller's name (also the account's nickname).
    pub name: String,
    /// The login (see [`NewAgent::login`]).
    pub login: Option<String>,
    /// The password (needs a login).
    pub password: Option<Password>,
}

/// An account and its token, shown once.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentWithToken {
    /// The account.
    pub agent: Agent,
    /// Its API token; store it now, it is not shown again.
    pub token: String,
}

/// An agent with its shop grants, as the owner sees it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentView {
    /// The account.
    #[serde(flatten)]
    pub agent: Agent,
    /// Granted shops (empty for the main account, which sees every shop).
    pub shops: Vec<ShopGrant>,
}

fn validate_nickname(nickname: &str) -> CoreResult<String> {
    let n = nickname.trim();
    if n.is_empty() || n.chars().count() > 64 {
        return Err(CoreError::invalid("nickname", "must be 1 to 64 characters"));
    }
    Ok(n.to_owned())
}

pub(crate) fn check_grants(owner: &Viewer, grants: &[ShopGrant]) -> CoreResult<()> {
    match grants.iter().find(|g| !owner.can_see(g.shop_id)) {
        // An unknown shop and another seller's answer alike.
        Some(_) => Err(CoreError::NotFound("shop")),
        None => Ok(()),
    }
}

/// The argon2id hash of a password that meets the policy, made on the blocking pool
/// (it takes tens of milliseconds of CPU).
pub(crate) async fn hash_blocking(password: Password) -> CoreResult<String> {
    validate_password(&password)?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| CoreError::Unavailable("password hashing"))?
}

/// The login and the password hash of a new account, checked (a password needs a
/// login); the hash is made on the blocking pool.
async fn sign_in_of(
    login: Option<String>, password: Option<Password>,
) -> CoreResult<(Option<String>, Option<String>)> {
    let login = login.as_deref().map(validate_login).transpose()?;
    let hash = match password {
        Some(_) if login.is_none() => {
            return Err(CoreError::invalid("login", "is required with a password"));
        }
        Some(password) => Some(hash_blocking(password).await?),
        None => None,
    };
    Ok((login, hash))
}

fn new_account(
    seller: SellerId, role: Role, nickname: String, capacity: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Agent {
    Agent {
        id: AgentId::new(),
        seller_id: seller,
        role,
        nickname,
        status: AgentStatus::Offline,
        accept_assignment: true,
        connected: false,
        capacity,
        created_at: now,
        login: None,
        has_password: false,
        active: true,
    }
}

impl Inbox {
    /// Creates a seller and its main (owner) account; returns the owner and its token.
    pub async fn create_owner(&self, name: &str) -> CoreResult<AgentWithToken> {
        self.create_owner_with(NewOwner { name: name.into(), ..Default::default() }).await
    }

    /// Creates a seller and its main account, with a login and a password if given.
    pub async fn create_owner_with(&self, input: NewOwner) -> CoreResult<AgentWithToken> {
        let name = validate_nickname(&input.name)?;
        let (login, password_hash) = sign_in_of(input.login, input.password).await?;
        let now = self.clock.now();
        let mut agent = new_account(SellerId::new(), Role::Owner, name.clone(), 10, now);
        agent.has_password = password_hash.is_some();
        agent.login = login;
        let token = new_token();
        let mut w = self.store.begin_write().await?;
        accounts::insert_seller(&mut w, agent.seller_id, &name, now).await?;
        accounts::insert_agent(&mut w, &agent, hash_token(&token), password_hash).await?;
        w.commit().await?;
        Ok(AgentWithToken { agent, token })
    }

    /// Creates a sub-account (or operator) of the owner's seller.
    pub async fn create_agent(
        &self, owner: &Viewer, input: NewAgent,
    ) -> CoreResult<AgentWithToken> {
        owner.require_owner()?;
        let nickname = validate_nickname(&input.nickname)?;
        let capacity = input.capacity.unwrap_or(10);
        if !CAPACITY_RANGE.contains(&capacity) {
            // rule: DY-CAP-1
            return Err(CoreError::invalid("capacity", "must be between 1 and 50 (DY-CAP-1)"));
        }
        let role = input.role.unwrap_or(Role::Agent);
        if role == Role::Owner {
            return Err(CoreError::invalid("role", "a seller has exactly one main account"));
        }
        check_grants(owner, &input.shops)?;
        let (login, password_hash) = sign_in_of(input.login, input.password).await?;
        let now = self.clock.now();
        let mut agent = new_account(owner.agent.seller_id, role, nickname, capacity, now);
        agent.has_password = password_hash.is_some();
        agent.login = login;
        let token = new_token();
        let mut w = self.store.begin_write().await?;
        accounts::insert_agent(&mut w, &agent, hash_token(&token), password_hash).await?;
        accounts::replace_grants(&mut w, agent.id, &input.shops).await?;
        w.commit().await?;
        Ok(AgentWithToken { agent, token })
    }

    /// One agent of the viewer's seller.
    pub async fn agent(&self, viewer: &Viewer, agent_id: AgentId) -> CoreResult<AgentView> {
        let agent = accounts::agent(Db::Pool(&self.store), agent_id, Some(viewer.agent.seller_id))
            .await?
            .ok_or(CoreError::NotFound("agent"))?;
        let shops = accounts::grants(&self.store, agent.id).await?;
        Ok(AgentView { agent, shops })
    }

    /// The id of the agent of the viewer's seller with this nickname (TT-XFER-1: agents
    /// choose a colleague by nickname).
    pub async fn agent_by_nickname(&self, viewer: &Viewer, nickname: &str) -> CoreResult<AgentId> {
        accounts::agent_id_by_nickname(&self.store, viewer.agent.seller_id, nickname.trim())
            .await?
            .ok_or(CoreError::NotFound("agent"))
    }

    /// The agents of the viewer's seller.
    pub async fn list_agents(&self, viewer: &Viewer) -> CoreResult<Vec<AgentView>> {
        let agents = accounts::agents_of(&self.store, viewer.agent.seller_id).await?;
        let mut out = Vec::with_capacity(agents.len());
        for agent in agents {
            let shops = accounts::grants(&self.store, agent.id).await?;
            out.push(AgentView { agent, shops });
        }
        Ok(out)
    }

    /// Sets the caller's own presence status (DY-STATUS-1); see
    /// [`Inbox::set_presence`] for the switch and the maximum.
    pub async fn set_status(&self, viewer: &Viewer, status: AgentStatus) -> CoreResult<()> {
        let update = super::presence::PresenceUpdate { status: Some(status), ..Default::default() };
        self.set_presence(viewer, update).await.map(|_| ())
    }

    /// The viewer a token belongs to, or none for an unknown or revoked token or a
    /// deactivated account.
    pub async fn authenticate(&self, token: &str) -> CoreResult<Option<Viewer>> {
        match accounts::agent_by_token(&self.store, hash_token(token)).await? {
            Some(agent) if agent.active => self.viewer_for(agent).await.map(Some),
            _ => Ok(None),
        }
    }

    /// The viewer again, with the shops it may see and chat in as they are now. It does
    /// not check a credential: live streams re-check theirs (`authenticate`,
    /// `web_session`), which also notices a revoked token or a deactivated account.
    pub async fn refresh_viewer(&self, viewer: &Viewer) -> CoreResult<Viewer> {
        let agent = accounts::agent(Db::Pool(&self.store), viewer.agent.id, None)
            .await?
            .ok_or(CoreError::NotFound("agent"))?;
        self.viewer_for(agent).await
    }

    pub(crate) async fn viewer_for(&self, agent: Agent) -> CoreResult<Viewer> {
        let (visible_shops, chat_shops) = match agent.role {
            Role::Owner => {
                let all: HashSet<ShopId> = shops::ids_of_seller(&self.store, agent.seller_id, None)
                    .await?
                    .into_iter()
                    .collect();
                (all.clone(), all)
            }
            Role::Agent => {
                let grants = accounts::grants(&self.store, agent.id).await?;
                let visible = grants.iter().map(|g| g.shop_id).collect();
                let chat = grants.iter().filter(|g| g.can_chat).map(|g| g.shop_id).collect();
                (visible, chat)
            }
            Role::Operator => (HashSet::new(), HashSet::new()),
        };
        Ok(Viewer { agent, visible_shops, chat_shops })
    }
}
