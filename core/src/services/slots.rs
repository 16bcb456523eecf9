//! Tasks in flight counted by a key (a platform, an endpoint): what the outbox and the
//! webhook workers share to keep at most so many sends to one destination running.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::time::Duration;
use tokio::task::JoinSet;

/// Tasks in flight, each returning its key, with a count per key.
pub(crate) struct KeyedTasks<K> {
    tasks: JoinSet<K>,
    per_key: HashMap<K, usize>,
}

impl<K> Default for KeyedTasks<K> {
    fn default() -> Self {
        Self { tasks: JoinSet::new(), per_key: HashMap::new() }
    }
}

impl<K: Clone + Eq + Hash + Send + 'static> KeyedTasks<K> {
    /// How many run.
    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }

    /// How many run, per key.
    pub(crate) fn counts(&self) -> &HashMap<K, usize> {
        &self.per_key
    }

    /// The keys at `limit`.
    pub(crate) fn busy(&self, limit: usize) -> Vec<K> {
        self.per_key.iter().filter(|(_, n)| **n >= limit).map(|(k, _)| k.clone()).collect()
    }

    /// Starts `task` under `key`.
    pub(crate) fn spawn(&mut self, key: K, task: impl Future<Output = ()> + Send + 'static) {
        *self.per_key.entry(key.clone()).or_default() += 1;
        self.tasks.spawn(async move {
            task.await;
            key
        });
    }

    fn finished(&mut self, key: K) {
        if let Some(n) = self.per_key.get_mut(&key) {
            *n = n.saturating_sub(1);
        }
    }

    /// Notes the tasks that ended, without waiting.
    pub(crate) fn reap(&mut self) {
        while let Some(done) = self.tasks.try_join_next() {
            if let Ok(key) = done {
                self.finished(key);
            }
        }
    }

    /// Waits for one task to end (forever when none runs) and notes it.
    pub(crate) async fn next_finished(&mut self) {
        match self.tasks.join_next().await {
            Some(Ok(key)) => self.finished(key),
            Some(Err(_)) => {}
            None => std::future::pending().await,
        }
    }

    /// Lets the tasks in flight end for at most `grace`; drops the rest.
    pub(crate) async fn drain(mut self, grace: Duration) {
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(grace, drain).await;
    }
}
