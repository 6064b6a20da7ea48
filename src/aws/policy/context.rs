//! What is known about a request: condition keys with their values, keys known to be absent,
//! and everything else unknown.

use std::collections::HashMap;

/// The state of one condition key in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// The request certainly does not carry the key (`aws:TokenIssueTime` on a long-term key).
    Absent,
    /// The request carries the key with these values (one for single-valued keys).
    Values(Vec<String>),
    /// The request carries the key, with a value the analyzer does not know.
    PresentUnknown,
}

/// Condition keys of a request. Key names compare without case, as in IAM. A key that was
/// never set is unknown.
#[derive(Debug, Clone, Default)]
pub struct Context {
    keys: HashMap<String, KeyState>,
    /// Lower-cased prefixes (`aws:principaltag/`) under which every present key is set, so
    /// that any other key under them is known to be absent.
    complete: Vec<String>,
}

static ABSENT: KeyState = KeyState::Absent;

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.keys
            .insert(key.to_lowercase(), KeyState::Values(vec![value.into()]));
        self
    }

    pub fn set_many(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.keys
            .insert(key.to_lowercase(), KeyState::Values(values));
        self
    }

    pub fn set_absent(&mut self, key: &str) -> &mut Self {
        self.keys.insert(key.to_lowercase(), KeyState::Absent);
        self
    }

    pub fn set_present_unknown(&mut self, key: &str) -> &mut Self {
        self.keys
            .insert(key.to_lowercase(), KeyState::PresentUnknown);
        self
    }

    /// Forgets what is known about a key: it becomes unknown.
    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.keys.remove(&key.to_lowercase());
        self
    }

    /// Takes every key `other` knows, overriding what this context knew.
    pub fn merge_from(&mut self, other: &Context) -> &mut Self {
        for (k, v) in &other.keys {
            self.keys.insert(k.clone(), v.clone());
        }
        self.complete.extend(other.complete.iter().cloned());
        self
    }

    /// Declares that every key under `prefix` that the request carries has been set.
    pub fn set_complete_prefix(&mut self, prefix: &str) -> &mut Self {
        self.complete.push(prefix.to_lowercase());
        self
    }

    /// `None` when nothing is known about the key.
    pub fn get(&self, key: &str) -> Option<&KeyState> {
        let key = key.to_lowercase();
        match self.keys.get(&key) {
            Some(state) => Some(state),
            None if self.complete.iter().any(|p| key.starts_with(p.as_str())) => Some(&ABSENT),
            None => None,
        }
    }
}
