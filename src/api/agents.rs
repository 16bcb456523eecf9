//! Agent accounts: the caller itself, the seller's team, sub-account creation and shop
//! grants (owner only), passwords (the owner's for any account, each account its own),
//! deactivation (owner only) and API tokens (revoked or replaced: the owner's for any
//! account, each account its own).

use super::doc::{
    AgentPath, BadRequest, Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized,
    Unprocessable,
};
use super::error::{ApiResult, JsonResult};
use super::extract::{ApiJson, ApiPath, Auth, owner};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shopmux_core::domain::ids::{AgentId, ShopId};
use shopmux_core::domain::model::{Agent, ShopGrant};
use shopmux_core::services::accounts::{AgentView, AgentWithToken, NewAgent};
use shopmux_core::services::sign_in::SetPassword;
use utoipa::ToSchema;

/// The caller's account and what it may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The account.
    pub agent: Agent,
    /// Shops it may see.
    pub visible_shops: Vec<ShopId>,
    /// Shops it may chat in.
    pub chat_shops: Vec<ShopId>,
}

/// The shops granted to an agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Every granted shop with its chat permission (replaces the previous list).
    pub shops: Vec<ShopGrant>,
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "agents",
    responses((status = 200, body = Me), Unauthorized))]
pub async fn me(auth: Auth) -> ApiJson<Me> {
    let mut visible_shops: Vec<ShopId> = auth.viewer.visible_shops.iter().copied().collect();
    let mut chat_shops: Vec<ShopId> = auth.viewer.chat_shops.iter().copied().collect();
    visible_shops.sort();
    chat_shops.sort();
    ApiJson(Me { agent: auth.viewer.agent, visible_shops, chat_shops })
}

/// Create a sub-account (owner only). Returns its token once.
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = NewAgent,
    responses((status = 201, body = AgentWithToken), BadRequest, Unauthorized, Forbidden, NotFound,
        Conflict, Unprocessable))]
pub async fn create_agent(
    auth: Auth, ApiJson(input): ApiJson<NewAgent>,
) -> ApiResult<(StatusCode, ApiJson<AgentWithToken>)> {
    Ok((StatusCode::CREATED, ApiJson(auth.inbox().create_agent(owner(&auth)?, input).await?)))
}

/// The seller's agents.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents",
    responses((status = 200, body = Vec<AgentView>), Unauthorized))]
pub async fn list_agents(auth: Auth) -> JsonResult<Vec<AgentView>> {
    Ok(ApiJson(auth.inbox().list_agents(&auth.viewer).await?))
}

/// One agent of the seller.
#[utoipa::path(get, path = "/api/v1/agents/{agent_id}", tag = "agents", params(AgentPath),
    responses((status = 200, body = AgentView), BadRequest, Unauthorized, NotFound))]
pub async fn get_agent(auth: Auth, ApiPath(agent_id): ApiPath<AgentId>) -> JsonResult<AgentView> {
    Ok(ApiJson(auth.inbox().agent(&auth.viewer, agent_id).await?))
}

/// Replace an agent's shop grants (owner only).
#[utoipa::path(put, path = "/api/v1/agents/{agent_id}/shops", tag = "agents", request_body = Grants,
    params(AgentPath),
    responses((status = 200, body = AgentView), BadRequest, Unauthorized, Forbidden, NotFound,
        Unprocessable))]
pub async fn set_grants(
    auth: Auth, ApiPath(agent_id): ApiPath<AgentId>, ApiJson(grants): ApiJson<Grants>,
) -> JsonResult<AgentView> {
    Ok(ApiJson(auth.inbox().set_grants(owner(&auth)?, agent_id, grants.shops).await?))
}

/// Set or reset an account's password (and its login, if given), ending its web
/// sessions. The main account may for any account of its seller, an account for itself.
#[utoipa::path(put, path = "/api/v1/agents/{agent_id}/password", tag = "agents",
    request_body = SetPassword, params(AgentPath),
    responses((status = 200, body = AgentView), BadRequest, Unauthorized, Forbidden, NotFound,
        Conflict, Unprocessable))]
pub async fn set_password(
    auth: Auth, ApiPath(agent_id): ApiPath<AgentId>, ApiJson(input): ApiJson<SetPassword>,
) -> JsonResult<AgentView> {
    Ok(ApiJson(auth.inbox().set_password(&auth.viewer, agent_id, input).await?))
}

/// Deactivate an account (owner only; not the main account): it signs in with nothing
/// from now on — its token, web sessions and password stop working, its live streams
/// close — and the conversations it held go back to routing.
#[utoipa::path(post, path = "/api/v1/agents/{agent_id}/deactivate", tag = "agents",
    params(AgentPath),
    responses((status = 200, body = AgentView), BadRequest, Unauthorized, Forbidden, NotFound,
        Conflict, TooManyRequests))]
pub async fn deactivate(auth: Auth, ApiPath(agent_id): ApiPath<AgentId>) -> JsonResult<AgentView> {
    Ok(ApiJson(auth.inbox().deactivate_agent(owner(&auth)?, agent_id).await?))
}

/// Reactivate a deactivated account (owner only): its token and password work again.
#[utoipa::path(post, path = "/api/v1/agents/{agent_id}/reactivate", tag = "agents",
    params(AgentPath),
    responses((status = 200, body = AgentView), BadRequest, Unauthorized, Forbidden, NotFound,
        TooManyRequests))]
pub async fn reactivate(auth: Auth, ApiPath(agent_id): ApiPath<AgentId>) -> JsonResult<AgentView> {
    Ok(ApiJson(auth.inbox().reactivate_agent(owner(&auth)?, agent_id).await?))
}

/// Revoke an account's API token: it stops working at once (its live streams close) and
/// no new one is issued. The main account may for any account of its seller, an account
/// for itself.
#[utoipa::path(delete, path = "/api/v1/agents/{agent_id}/token", tag = "agents",
    params(AgentPath),
    responses((status = 200, body = AgentView), BadRequest, Unauthorized, Forbidden, NotFound,
        TooManyRequests))]
pub async fn revoke_token(
    auth: Auth, ApiPath(agent_id): ApiPath<AgentId>,
) -> JsonResult<AgentView> {
    Ok(ApiJson(auth.inbox().revoke_token(&auth.viewer, agent_id).await?))
}

/// Replace an account's API token: the old one stops working at once; the new one is
/// shown once. The main account may for any account of its seller, an account for
/// itself.
#[utoipa::path(post, path = "/api/v1/agents/{agent_id}/token", tag = "agents",
    params(AgentPath),
    responses((status = 201, body = AgentWithToken), BadRequest, Unauthorized, Forbidden,
        NotFound, TooManyRequests))]
pub async fn replace_token(
    auth: Auth, ApiPath(agent_id): ApiPath<AgentId>,
) -> ApiResult<(StatusCode, ApiJson<AgentWithToken>)> {
    let replaced = auth.inbox().replace_token(&auth.viewer, agent_id).await?;
    Ok((StatusCode::CREATED, ApiJson(replaced)))
}
