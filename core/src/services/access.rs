//! Access that bites: an agent's shop grants, deactivating and reactivating an account,
//! revoking or replacing its token, and what follows a lost permission — the conversations it held in shops
//! it may no longer chat in go back to routing (unassigned, to the queue), its web
//! sessions end (deactivation), and the accounts bus tells every live stream of the
//! seller to re-read who it serves, so an open stream loses what its account lost
//! within the moment it takes to read the account again.

use crate::domain::conversation::{Change, changed};
use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::viewer::{Viewer, hash_token, new_token};
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::services::accounts::{AgentView, AgentWithToken, check_grants};
use crate::storage::conversations;
use crate::storage::write::WriteTx;
use crate::storage::{accounts, web_sessions, write_locks};
use std::collections::HashSet;

/// Which of an agent's conversations go back to routing.
pub(crate) enum Release<'a> {
    /// All of them (the agent was deactivated).
    All,
    /// Those in shops outside this set (the shops it may still chat in).
    OutsideOf(&'a HashSet<ShopId>),
}

impl Inbox {
    /// Replaces the shops an agent is granted.
    pub async fn set_grants(
        &self, owner: &Viewer, agent_id: AgentId, grants: Vec<ShopGrant>,
    ) -> CoreResult<AgentView> {
        owner.require_owner()?;
        let agent = self.agent(owner, agent_id).await?;
        check_grants(owner, &grants)?;
        let chat_shops: HashSet<ShopId> =
            grants.iter().filter(|g| g.can_chat).map(|g| g.shop_id).collect();
        let seller = owner.agent.seller_id;
        let mut w = self.store.begin_write().await?;
        write_locks::lock_seller(&mut w, seller).await?;
        accounts::replace_grants(&mut w, agent_id, &grants).await?;
        // The conversations it held where it may no longer chat go back to routing.
        let released = if agent.agent.role == Role::Agent {
            self.release(&mut w, agent_id, Release::OutsideOf(&chat_shops)).await?
        } else {
            Vec::new()
        };
        w.commit().await?;
        self.after_access_change(seller, released);
        Ok(AgentView { agent: agent.agent, shops: grants })
    }

    /// Deactivates an account of the owner's seller (not the main account): from now on
    /// it signs in with nothing, its web sessions end, its live streams close, and the
    /// conversations it held go back to routing.
    pub async fn deactivate_agent(&self, owner: &Viewer, id: AgentId) -> CoreResult<AgentView> {
        owner.require_owner()?;
        let view = self.agent(owner, id).await?;
        if view.agent.role == Role::Owner {
            return Err(CoreError::Conflict("the main account cannot be deactivated".into()));
        }
        let seller = owner.agent.seller_id;
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        write_locks::lock_seller(&mut w, seller).await?;
        accounts::set_deactivated(&mut w, id, Some(now)).await?;
        web_sessions::delete_of_agent(&mut w, id).await?;
        let released = self.release(&mut w, id, Release::All).await?;
        w.commit().await?;
        self.after_access_change(seller, released);
        self.agent(owner, id).await
    }

    /// Reactivates a deactivated account: its token works again (unless it was revoked
    /// meanwhile); its password signs in again.
    pub async fn reactivate_agent(&self, owner: &Viewer, id: AgentId) -> CoreResult<AgentView> {
        owner.require_owner()?;
        self.agent(owner, id).await?;
        let mut w = self.store.begin_write().await?;
        accounts::set_deactivated(&mut w, id, None).await?;
        w.commit().await?;
        self.events.accounts_changed(owner.agent.seller_id);
        self.route_soon(owner.agent.seller_id);
        self.agent(owner, id).await
    }

    /// Revokes an account's API token: the old one stops working at once (its live
    /// streams close) and no new one is shown; [`Inbox::replace_token`] issues one. The
    /// main account may for any account of its seller, an account for itself.
    pub async fn revoke_token(&self, viewer: &Viewer, id: AgentId) -> CoreResult<AgentView> {
        let view = self.token_holder(viewer, id).await?;
        // A random token nobody ever sees takes its place (the column is required).
        self.write_token(view.agent.seller_id, id, &new_token()).await?;
        Ok(view)
    }

    /// Replaces an account's API token with a new one, shown once; the old one stops
    /// working at once.
    pub async fn replace_token(&self, viewer: &Viewer, id: AgentId) -> CoreResult<AgentWithToken> {
        let view = self.token_holder(viewer, id).await?;
        let token = new_token();
        self.write_token(view.agent.seller_id, id, &token).await?;
        Ok(AgentWithToken { agent: view.agent, token })
    }

    /// The account whose token `viewer` may revoke: its own, or any of its seller's for
    /// the main account (another account of the seller is forbidden; of another seller,
    /// unknown).
    async fn token_holder(&self, viewer: &Viewer, id: AgentId) -> CoreResult<AgentView> {
        let view = self.agent(viewer, id).await?;
        if viewer.agent.id != id {
            viewer.require_owner()?;
        }
        Ok(view)
    }

    async fn write_token(&self, seller: SellerId, id: AgentId, token: &str) -> CoreResult<()> {
        let mut w = self.store.begin_write().await?;
        accounts::set_token_hash(&mut w, id, hash_token(token)).await?;
        w.commit().await?;
        self.events.accounts_changed(seller);
        Ok(())
    }

    /// Unassigns the open conversations `agent` holds that `which` selects, in the
    /// transaction (which holds the seller's lock); returns them as they are now.
    pub(crate) async fn release(
        &self, w: &mut WriteTx<'_>, agent: AgentId, which: Release<'_>,
    ) -> CoreResult<Vec<Conversation>> {
        let now = self.clock.now();
        let mut released = Vec::new();
        for id in conversations::held_by(w, agent).await? {
            let Some((seller, before)) = conversations::lock(w, id).await? else {
                continue;
            };
            let keep = match which {
                Release::All => false,
                Release::OutsideOf(chat_shops) => chat_shops.contains(&before.shop_id),
            };
            if keep || before.assignee_id != Some(agent) {
                continue;
            }
            let Ok(after) = changed(&before, Change::Unassign, now) else {
                continue;
            };
            conversations::save(w, &[(seller, Some(before), after.clone())]).await?;
            released.push(after);
        }
        Ok(released)
    }

    /// After a committed access change: the seller's streams re-read their viewers,
    /// released conversations are announced and the seller's queues drain.
    pub(crate) fn after_access_change(&self, seller: SellerId, released: Vec<Conversation>) {
        for conversation in released {
            self.events.publish(InboxEvent::ConversationUpdated { conversation });
        }
        self.events.accounts_changed(seller);
        // rule: DY-PERM-1 / SH-ASSIGN-1 (a conversation whose agent lost chat
        // permission is routed to someone who has it)
        self.route_soon(seller);
    }
}
