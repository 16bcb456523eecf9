//! API names (§3.3).

/// List message relations (conversations); param `query` (JSON).
pub const QUERY_RELATION_LIST: &str =
    "aliexpress.message.redefining.versiontwo.querymsgrelationlist";
/// One relation's messages; params `channel_id`, `current_page`, `page_size`, `extern_id`.
pub const QUERY_DETAIL_LIST: &str = "aliexpress.message.redefining.versiontwo.querymsgdetaillist";
/// A buyer's messages; params `buyer_login_id`, `current_page`, `page_size`, `extern_id`.
pub const QUERY_DETAIL_LIST_BY_BUYER: &str =
    "aliexpress.message.redefining.versiontwo.querymsgdetaillistbybuyerid";
/// The relation id for a buyer; param `buyer_id`.
pub const QUERY_CHANNEL_BY_BUYER: &str =
    "aliexpress.message.redefining.versiontwo.querymsgchannelidbybuyerid";
/// Send a message; param `create_param` (JSON).
pub const ADD_MESSAGE: &str = "aliexpress.message.redefining.versiontwo.addmsg";
/// Mark a relation read; param `channel_id`.
pub const UPDATE_READ: &str = "aliexpress.message.redefining.versiontwo.updatemsgread";
/// Mark a relation processed; params `channel_id`, `deal_stat`.
pub const UPDATE_PROCESSED: &str = "aliexpress.message.redefining.versiontwo.updatemsgprocessed";
/// Tag a relation with a colour; params `channel_id`, `rank`.
pub const UPDATE_RANK: &str = "aliexpress.message.redefining.versiontwo.updatemsgrank";
/// Order list for context; param `param0` (JSON).
pub const ORDER_GET: &str = "aliexpress.solution.order.get";
/// Order detail for context.
pub const ORDER_INFO_GET: &str = "aliexpress.solution.order.info.get";
/// System API: create a token from an authorization `code`.
pub const TOKEN_CREATE: &str = "/auth/token/create";
/// System API: refresh a token.
pub const TOKEN_REFRESH: &str = "/auth/token/refresh";
