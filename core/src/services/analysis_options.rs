//! How the inbox reads buyer texts (issue 18): whether languages are detected, and the
//! topic classifier (SH-TOPIC-1) — the built-in offline model by default. The reading
//! itself is in the analysis service.

use crate::domain::topic_model::BuiltInTopics;
use crate::domain::topics::TopicClassifier;
use std::sync::Arc;

/// How buyer texts are read: whether languages are detected, and the topic classifier
/// (none: no topics).
#[derive(Clone)]
pub struct AnalysisOptions {
    /// Detect each buyer text's language.
    pub detect_languages: bool,
    /// The topic classifier.
    pub topics: Option<Arc<dyn TopicClassifier>>,
}

impl Default for AnalysisOptions {
    /// Languages detected; the built-in offline topic model.
    fn default() -> Self {
        Self { detect_languages: true, topics: Some(Arc::new(BuiltInTopics)) }
    }
}

impl std::fmt::Debug for AnalysisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalysisOptions")
            .field("detect_languages", &self.detect_languages)
            .field("topics", &self.topics.is_some())
            .finish()
    }
}
