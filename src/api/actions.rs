//! The state actions on a conversation: read, unread, flag, unflag, end, close,
//! reopen, assign, transfer, unassign. Each is one [`Change`] handed to the inbox, which
//! checks who may do it and what the platform's rules say; the handlers differ only in
//! their path and the change, so one macro writes them (with their OpenAPI entries).

use super::doc::{
    BadRequest, Conflict, ConversationPath, Forbidden, NotFound, Unauthorized, Unprocessable,
};
use super::error::{ApiResult, JsonResult};
use super::extract::{ApiJson, ApiPath, Auth};
use serde::Deserialize;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::{AgentId, ConversationId};
use shopmux_core::domain::model::{Conversation, FlagColour};
use utoipa::ToSchema;

/// A flag colour to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    /// The colour.
    pub colour: FlagColour,
}

/// The agent to assign or transfer to, by id or by nickname (TT-XFER-1: agents pick a
/// colleague by nickname); exactly one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBody {
    /// The agent's id.
    pub agent_id: Option<AgentId>,
    /// The agent's nickname.
    pub nickname: Option<String>,
}

impl AgentBody {
    async fn resolve(&self, auth: &Auth) -> ApiResult<AgentId> {
        match (&self.agent_id, &self.nickname) {
            (Some(id), None) => Ok(*id),
            (None, Some(nickname)) => {
                Ok(auth.inbox().agent_by_nickname(&auth.viewer, nickname).await?)
            }
            _ => Err(shopmux_core::CoreError::invalid(
                "agent_id",
                "give exactly one of agent_id and nickname",
            )
            .into()),
        }
    }
}

async fn act(auth: &Auth, id: ConversationId, change: Change) -> JsonResult<Conversation> {
    Ok(ApiJson(auth.inbox().change(&auth.viewer, id, change).await?))
}

/// Writes an action handler: `$name` answers `$method $path` (under
/// `/api/v1/conversations/{conversation_id}/`) by applying the change `$change` makes of
/// the request's body (`$body`, when the action takes one), and documents it.
macro_rules! action {
    ($(#[doc = $doc:tt])* $name:ident: $method:ident $path:tt, |$auth:ident, $arg:ident: $body:ty| $change:expr,
     responses($($failure:ident),*)) => {
        $(#[doc = $doc])*
        #[utoipa::path($method, path = $path, tag = "conversations", request_body = $body,
            params(ConversationPath),
            responses((status = 200, body = Conversation), $($failure),*))]
        pub async fn $name(
            $auth: Auth,
            ApiPath(id): ApiPath<ConversationId>,
            ApiJson($arg): ApiJson<$body>,
        ) -> JsonResult<Conversation> {
            let change = $change;
            act(&$auth, id, change).await
        }
    };
    ($(#[doc = $doc:tt])* $name:ident: $method:ident $path:tt, $change:expr, responses($($failure:ident),*)) => {
        $(#[doc = $doc])*
        #[utoipa::path($method, path = $path, tag = "conversations", params(ConversationPath),
            responses((status = 200, body = Conversation), $($failure),*))]
        pub async fn $name(auth: Auth, ApiPath(id): ApiPath<ConversationId>) -> JsonResult<Conversation> {
            act(&auth, id, $change).await
        }
    };
}

action!(
    /// Mark every buyer message read.
    read: post "/api/v1/conversations/{conversation_id}/read", Change::MarkRead,
    responses(BadRequest, Unauthorized, NotFound)
);
action!(
    /// Mark unread again.
    unread: post "/api/v1/conversations/{conversation_id}/unread", Change::MarkUnread,
    responses(BadRequest, Unauthorized, NotFound)
);
action!(
    /// Flag with a colour.
    flag: put "/api/v1/conversations/{conversation_id}/flag",
    |auth, body: FlagBody| Change::Flag(body.colour),
    responses(BadRequest, Unauthorized, NotFound)
);
action!(
    /// Remove the flag.
    unflag: delete "/api/v1/conversations/{conversation_id}/flag", Change::Unflag,
    responses(BadRequest, Unauthorized, NotFound)
);
action!(
    /// End the conversation: it moves to history and frees the agent.
    end: post "/api/v1/conversations/{conversation_id}/end", Change::End,
    responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict)
);
action!(
    /// Close the conversation.
    close: post "/api/v1/conversations/{conversation_id}/close", Change::Close,
    responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict)
);
action!(
    /// Reopen an ended or closed conversation.
    reopen: post "/api/v1/conversations/{conversation_id}/reopen", Change::Reopen,
    responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict)
);
action!(
    /// Assign to an agent with chat permission in the shop.
    assign: post "/api/v1/conversations/{conversation_id}/assign",
    |auth, body: AgentBody| Change::Assign(body.resolve(&auth).await?),
    responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unprocessable)
);
action!(
    /// Hand an assigned conversation to another agent.
    transfer: post "/api/v1/conversations/{conversation_id}/transfer",
    |auth, body: AgentBody| Change::Transfer(body.resolve(&auth).await?),
    responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unprocessable)
);
action!(
    /// Back to the unassigned list.
    unassign: post "/api/v1/conversations/{conversation_id}/unassign", Change::Unassign,
    responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict)
);
