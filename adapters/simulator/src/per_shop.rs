//! Items kept per shop and replaced by id: the orders and products the TikTok and Douyin
//! simulators answer from.

use std::collections::HashMap;

/// Each shop's items, in the order they were added; an item with the id of one already
/// there replaces it.
#[derive(Debug)]
pub(crate) struct PerShop<T> {
    id: fn(&T) -> &str,
    lists: HashMap<String, Vec<T>>,
}

impl<T> PerShop<T> {
    /// No items yet; `id` names an item.
    pub(crate) fn new(id: fn(&T) -> &str) -> PerShop<T> {
        PerShop { id, lists: HashMap::new() }
    }

    /// Sets the shop's items (config seeds), as given.
    pub(crate) fn insert(&mut self, shop_id: &str, items: Vec<T>) {
        self.lists.insert(shop_id.to_owned(), items);
    }

    /// Adds (or replaces, by id) an item of the shop.
    pub(crate) fn put(&mut self, shop_id: &str, item: T) {
        let id = self.id;
        let items = self.lists.entry(shop_id.to_owned()).or_default();
        items.retain(|existing| id(existing) != id(&item));
        items.push(item);
    }

    /// The shop's items, oldest first.
    pub(crate) fn of(&self, shop_id: &str) -> Vec<&T> {
        let items = self.lists.get(shop_id);
        items.map(|items| items.iter().collect()).unwrap_or_default()
    }

    /// The shop's item with this id.
    pub(crate) fn find(&self, shop_id: &str, item_id: &str) -> Option<&T> {
        let items = self.lists.get(shop_id)?;
        items.iter().find(|item| (self.id)(item) == item_id)
    }
}
