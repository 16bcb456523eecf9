//! `status` of a product in the shop (`product.listV2`).

/// 在线: on sale.
pub const ONLINE: i64 = 0;
/// 下线: taken off sale.
pub const OFFLINE: i64 = 1;
/// 删除: deleted.
pub const DELETED: i64 = 2;
