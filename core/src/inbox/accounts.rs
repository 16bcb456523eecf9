//! Sellers, agent accounts, API tokens and the viewer: who is asking, and which shops
//! they may see and chat in. Tokens are random, shown once, stored as SHA-256 hashes.

use super::Inbox;
use crate::clock::to_millis;
use crate::error::{CoreError, CoreResult};
use crate::ids::*;
use crate::model::*;
use crate::store::{AGENT_COLUMNS, Val, agent_from_row, id_col};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::HashSet;
use utoipa::ToSchema;

/// A fresh API token: `smx_` and 64 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("smx_{}", hex::encode(bytes))
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The account making a request, with what it may see.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The account.
    pub agent: Agent,
    /// Shops it may see (all the seller's shops for an owner).
    pub visible_shops: HashSet<ShopId>,
    /// Shops it may chat in (DY-PERM-1: the main account always can).
    pub chat_shops: HashSet<ShopId>,
}

impl Viewer {
    /// Whether this is the seller's main account.
    pub fn is_owner(&self) -> bool {
        self.agent.role == Role::Owner
    }

    /// Fails unless this is the main account.
    pub fn require_owner(&self) -> CoreResult<()> {
        if self.is_owner() {
            Ok(())
        } else {
            Err(CoreError::Forbidden(
                "only the main account may do this".into(),
            ))
        }
    }

    /// Whether it may see the shop.
    pub fn can_see(&self, shop: ShopId) -> bool {
        self.visible_shops.contains(&shop)
    }

    /// Whether it may chat in the shop.
    pub fn can_chat(&self, shop: ShopId) -> bool {
        self.chat_shops.contains(&shop)
    }
}

/// New agent account input.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// Nickname, unique within the seller.
    pub nickname: String,
    /// `agent` (sub-account, the default) or `operator`.
    #[serde(default)]
    pub role: Option<Role>,
    /// Most simultaneous buyers (1..50, default 10).
    #[serde(default)]
    pub capacity: Option<i64>,
    /// Shops granted, with chat permission.
    #[serde(default)]
    pub shops: Vec<ShopGrant>,
}

/// An account and its token, shown once.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AgentWithToken {
    /// The account.
    pub agent: Agent,
    /// Its API token; store it now, it is not shown again.
    pub token: String,
}

/// An agent with its shop grants, as the owner sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
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

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Inbox {
    /// Creates a seller and its main (owner) account; returns the owner and its token.
    pub async fn create_owner(&self, name: &str) -> CoreResult<AgentWithToken> {
        let name = validate_nickname(name)?;
        let now = self.clock.now();
        let seller = SellerId::new();
        let agent = Agent {
            id: AgentId::new(),
            seller_id: seller,
            role: Role::Owner,
            nickname: name.clone(),
            status: AgentStatus::Offline,
            accept_assignment: true,
            connected: false,
            capacity: 10,
            created_at: now,
        };
        let token = new_token();
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                "INSERT INTO sellers (id, name, created_at) VALUES ($1, $2, $3)",
                vec![
                    seller.to_string().into(),
                    name.into(),
                    to_millis(now).into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        insert_agent(&self.store, &mut w.tx, &agent, &token).await?;
        w.commit().await?;
        Ok(AgentWithToken { agent, token })
    }

    /// Creates a sub-account (or operator) of the owner's seller.
    pub async fn create_agent(
        &self,
        owner: &Viewer,
        input: NewAgent,
    ) -> CoreResult<AgentWithToken> {
        owner.require_owner()?;
        let nickname = validate_nickname(&input.nickname)?;
        let capacity = input.capacity.unwrap_or(10);
        if !CAPACITY_RANGE.contains(&capacity) {
            // rule: DY-CAP-1
            return Err(CoreError::invalid(
                "capacity",
                "must be between 1 and 50 (DY-CAP-1)",
            ));
        }
        let role = input.role.unwrap_or(Role::Agent);
        if role == Role::Owner {
            return Err(CoreError::invalid(
                "role",
                "a seller has exactly one main account",
            ));
        }
        for g in &input.shops {
            if !owner.can_see(g.shop_id) {
                return Err(CoreError::invalid(
                    "shops",
                    format!("unknown shop {}", g.shop_id),
                ));
            }
        }
        let agent = Agent {
            id: AgentId::new(),
            seller_id: owner.agent.seller_id,
            role,
            nickname,
            status: AgentStatus::Offline,
            accept_assignment: true,
            connected: false,
            capacity,
            created_at: self.clock.now(),
        };
        let token = new_token();
        let mut w = self.store.begin_write().await?;
        insert_agent(&self.store, &mut w.tx, &agent, &token).await?;
        replace_grants(&self.store, &mut w.tx, agent.id, &input.shops).await?;
        w.commit().await?;
        Ok(AgentWithToken { agent, token })
    }

    /// Replaces the shops an agent is granted.
    pub async fn set_grants(
        &self,
        owner: &Viewer,
        agent_id: AgentId,
        grants: Vec<ShopGrant>,
    ) -> CoreResult<AgentView> {
        owner.require_owner()?;
        let agent = self.agent(owner, agent_id).await?;
        for g in &grants {
            if !owner.can_see(g.shop_id) {
                return Err(CoreError::invalid(
                    "shops",
                    format!("unknown shop {}", g.shop_id),
                ));
            }
        }
        let mut w = self.store.begin_write().await?;
        replace_grants(&self.store, &mut w.tx, agent_id, &grants).await?;
        w.commit().await?;
        self.route_soon(owner.agent.seller_id);
        Ok(AgentView {
            agent: agent.agent,
            shops: grants,
        })
    }

    /// One agent of the viewer's seller.
    pub async fn agent(&self, viewer: &Viewer, agent_id: AgentId) -> CoreResult<AgentView> {
        let row = self
            .store
            .query(
                &format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1 AND seller_id = $2"),
                vec![
                    agent_id.to_string().into(),
                    viewer.agent.seller_id.to_string().into(),
                ],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("agent"))?;
        let agent = agent_from_row(&row)?;
        let shops = self.grants(agent.id).await?;
        Ok(AgentView { agent, shops })
    }

    /// The id of the agent of the viewer's seller with this nickname (TT-XFER-1: agents
    /// choose a colleague by nickname).
    pub async fn agent_by_nickname(&self, viewer: &Viewer, nickname: &str) -> CoreResult<AgentId> {
        let row = self
            .store
            .query(
                "SELECT id FROM agents WHERE seller_id = $1 AND nickname = $2",
                vec![
                    viewer.agent.seller_id.to_string().into(),
                    nickname.trim().to_owned().into(),
                ],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| {
                CoreError::invalid("nickname", format!("no agent named `{nickname}`"))
            })?;
        id_col(&row, "id")
    }

    /// The agents of the viewer's seller.
    pub async fn list_agents(&self, viewer: &Viewer) -> CoreResult<Vec<AgentView>> {
        let rows = self.store.query(
            &format!(
                "SELECT {AGENT_COLUMNS} FROM agents WHERE seller_id = $1 ORDER BY created_at, id"
            ),
            vec![viewer.agent.seller_id.to_string().into()],
        )
        .fetch_all(self.store.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let agent = agent_from_row(row)?;
            let shops = self.grants(agent.id).await?;
            out.push(AgentView { agent, shops });
        }
        Ok(out)
    }

    async fn grants(&self, agent_id: AgentId) -> CoreResult<Vec<ShopGrant>> {
        let rows = self
            .store
            .query(
                "SELECT shop_id, can_chat FROM shop_grants WHERE agent_id = $1 ORDER BY shop_id",
                vec![agent_id.to_string().into()],
            )
            .fetch_all(self.store.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ShopGrant {
                    shop_id: id_col(r, "shop_id")?,
                    can_chat: r.try_get::<i64, _>("can_chat")? != 0,
                })
            })
            .collect()
    }

    /// Sets the caller's own presence status (DY-STATUS-1); see
    /// [`Inbox::set_presence`] for the switch and the maximum.
    pub async fn set_status(&self, viewer: &Viewer, status: AgentStatus) -> CoreResult<()> {
        let update = super::presence::PresenceUpdate {
            status: Some(status),
            ..Default::default()
        };
        self.set_presence(viewer, update).await.map(|_| ())
    }

    /// The viewer a token belongs to, or none for an unknown token.
    pub async fn authenticate(&self, token: &str) -> CoreResult<Option<Viewer>> {
        let row = self
            .store
            .query(
                &format!("SELECT {AGENT_COLUMNS} FROM agents WHERE token_hash = $1"),
                vec![hash_token(token).into()],
            )
            .fetch_optional(self.store.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let agent = agent_from_row(&row)?;
        self.viewer_for(agent).await.map(Some)
    }

    /// The viewer again, with the shops it may see and chat in as they are now (a live
    /// stream refreshes it when an event of an unknown shop arrives: a shop created or
    /// granted after it connected).
    pub async fn refresh_viewer(&self, viewer: &Viewer) -> CoreResult<Viewer> {
        let row = self
            .store
            .query(
                &format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1"),
                vec![viewer.agent.id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("agent"))?;
        self.viewer_for(agent_from_row(&row)?).await
    }

    async fn viewer_for(&self, agent: Agent) -> CoreResult<Viewer> {
        let (visible_shops, chat_shops) = match agent.role {
            Role::Owner => {
                let rows = self
                    .store
                    .query(
                        "SELECT id FROM shops WHERE seller_id = $1",
                        vec![agent.seller_id.to_string().into()],
                    )
                    .fetch_all(self.store.pool())
                    .await?;
                let all: HashSet<ShopId> = rows
                    .iter()
                    .map(|r| id_col(r, "id"))
                    .collect::<CoreResult<_>>()?;
                (all.clone(), all)
            }
            Role::Agent => {
                let grants = self.grants(agent.id).await?;
                (
                    grants.iter().map(|g| g.shop_id).collect(),
                    grants
                        .iter()
                        .filter(|g| g.can_chat)
                        .map(|g| g.shop_id)
                        .collect(),
                )
            }
            Role::Operator => (HashSet::new(), HashSet::new()),
        };
        Ok(Viewer {
            agent,
            visible_shops,
            chat_shops,
        })
    }
}

async fn insert_agent(
    store: &crate::store::Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    agent: &Agent,
    token: &str,
) -> CoreResult<()> {
    let vals: Vec<Val> = vec![
        agent.id.to_string().into(),
        agent.seller_id.to_string().into(),
        agent.role.as_str().into(),
        agent.nickname.clone().into(),
        agent.status.as_str().into(),
        agent.accept_assignment.into(),
        agent.connected.into(),
        agent.capacity.into(),
        hash_token(token).into(),
        to_millis(agent.created_at).into(),
    ];
    store.query(
        "INSERT INTO agents (id, seller_id, role, nickname, status, accept_assignment, connected, capacity, \
         token_hash, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        vals,
    )
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            CoreError::Conflict(format!("an agent named `{}` already exists", agent.nickname))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

async fn replace_grants(
    store: &crate::store::Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    agent_id: AgentId,
    grants: &[ShopGrant],
) -> CoreResult<()> {
    store
        .query(
            "DELETE FROM shop_grants WHERE agent_id = $1",
            vec![agent_id.to_string().into()],
        )
        .execute(&mut **tx)
        .await?;
    for g in grants {
        store
            .query(
                "INSERT INTO shop_grants (agent_id, shop_id, can_chat) VALUES ($1, $2, $3) \
             ON CONFLICT (agent_id, shop_id) DO UPDATE SET can_chat = excluded.can_chat",
                vec![
                    agent_id.to_string().into(),
                    g.shop_id.to_string().into(),
                    g.can_chat.into(),
                ],
            )
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
