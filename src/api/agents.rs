//! Agent accounts: the caller itself, the seller's team, and sub-account creation and
//! shop grants (owner only).

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Auth, owner};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shopmux_core::domain::ids::{AgentId, ShopId};
use shopmux_core::domain::model::{Agent, ShopGrant};
use shopmux_core::services::accounts::{AgentView, AgentWithToken, NewAgent};
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
#[utoipa::path(get, path = "/api/v1/me", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(auth: Auth) -> ApiJson<Me> {
    let mut visible_shops: Vec<ShopId> = auth.0.visible_shops.iter().copied().collect();
    let mut chat_shops: Vec<ShopId> = auth.0.chat_shops.iter().copied().collect();
    visible_shops.sort();
    chat_shops.sort();
    ApiJson(Me {
        agent: auth.0.agent,
        visible_shops,
        chat_shops,
    })
}

/// Create a sub-account (owner only). Returns its token once.
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = NewAgent, security(("bearer" = [])),
    responses((status = 201, body = AgentWithToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_agent(
    State(app): State<AppState>,
    auth: Auth,
    ApiJson(input): ApiJson<NewAgent>,
) -> ApiResult<(StatusCode, ApiJson<AgentWithToken>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(app.inbox.create_agent(owner(&auth)?, input).await?),
    ))
}

/// The seller's agents.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgentView>), (status = 401, body = ErrorBody)))]
pub async fn list_agents(
    State(app): State<AppState>,
    auth: Auth,
) -> ApiResult<ApiJson<Vec<AgentView>>> {
    Ok(ApiJson(app.inbox.list_agents(&auth.0).await?))
}

/// One agent of the seller.
#[utoipa::path(get, path = "/api/v1/agents/{agent_id}", tag = "agents", security(("bearer" = [])),
    params(("agent_id" = AgentId, Path, description = "The agent")),
    responses((status = 200, body = AgentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_agent(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(agent_id): ApiPath<AgentId>,
) -> ApiResult<ApiJson<AgentView>> {
    Ok(ApiJson(app.inbox.agent(&auth.0, agent_id).await?))
}

/// Replace an agent's shop grants (owner only).
#[utoipa::path(put, path = "/api/v1/agents/{agent_id}/shops", tag = "agents", request_body = Grants, security(("bearer" = [])),
    params(("agent_id" = AgentId, Path, description = "The agent")),
    responses((status = 200, body = AgentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_grants(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(agent_id): ApiPath<AgentId>,
    ApiJson(grants): ApiJson<Grants>,
) -> ApiResult<ApiJson<AgentView>> {
    Ok(ApiJson(
        app.inbox
            .set_grants(owner(&auth)?, agent_id, grants.shops)
            .await?,
    ))
}
