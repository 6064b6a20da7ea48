//! What is known about a request: condition keys with their values, keys known to be absent,
//! and everything else unknown.

use std::collections::HashMap;
use std::sync::Arc;

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
    /// Shared so that a request can start from a principal's context without copying it.
    keys: Arc<KeyMap>,
    /// Keys of one request (`aws:ResourceAccount`), consulted before `keys`.
    overlay: Vec<(String, KeyState)>,
    /// Policy strings already resolved against `keys`, with the keys each used: the many
    /// requests of one principal resolve the same variables again and again. Replaced, not
    /// cleared, when `keys` change, so that earlier clones keep answers true for them.
    memo: Memo,
    /// Lower-cased prefixes (`aws:principaltag/`) under which every present key is set, so
    /// that any other key under them is known to be absent.
    complete: Vec<String>,
}

static ABSENT: KeyState = KeyState::Absent;

/// Resolved policy strings, and the keys each resolution read. Behind a mutex so that
/// principals can be lowered on several threads; each principal's requests stay on one, so
/// the lock is never contended.
type Memo = Arc<std::sync::Mutex<HashMap<String, (super::variables::Resolved, Vec<String>)>>>;

/// FNV-1a: condition keys are short, trusted strings looked up on every clause; SipHash's
/// protection against crafted keys buys nothing here and costs a tenth of a decision.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type KeyMap = HashMap<String, KeyState, std::hash::BuildHasherDefault<KeyHasher>>;

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.memo = Default::default();
        Arc::make_mut(&mut self.keys)
            .insert(key.to_lowercase(), KeyState::Values(vec![value.into()]));
        self
    }

    pub fn set_many(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.memo = Default::default();
        Arc::make_mut(&mut self.keys).insert(key.to_lowercase(), KeyState::Values(values));
        self
    }

    pub fn set_absent(&mut self, key: &str) -> &mut Self {
        self.memo = Default::default();
        Arc::make_mut(&mut self.keys).insert(key.to_lowercase(), KeyState::Absent);
        self
    }

    pub fn set_present_unknown(&mut self, key: &str) -> &mut Self {
        self.memo = Default::default();
        Arc::make_mut(&mut self.keys).insert(key.to_lowercase(), KeyState::PresentUnknown);
        self
    }

    /// Sets a key for one request only, without copying the shared keys.
    pub fn set_for_request(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.overlay
            .push((key.to_lowercase(), KeyState::Values(vec![value.into()])));
        self
    }

    /// Forgets what is known about a key: it becomes unknown.
    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.memo = Default::default();
        Arc::make_mut(&mut self.keys).remove(&key.to_lowercase());
        self
    }

    /// Takes every key `other` knows, overriding what this context knew.
    pub fn merge_from(&mut self, other: &Context) -> &mut Self {
        self.memo = Default::default();
        let keys = Arc::make_mut(&mut self.keys);
        for (k, v) in other
            .keys
            .iter()
            .chain(other.overlay.iter().map(|(k, v)| (k, v)))
        {
            keys.insert(k.clone(), v.clone());
        }
        self.complete.extend(other.complete.iter().cloned());
        self
    }

    /// Declares that every key under `prefix` that the request carries has been set.
    pub fn set_complete_prefix(&mut self, prefix: &str) -> &mut Self {
        self.memo = Default::default();
        self.complete.push(prefix.to_lowercase());
        self
    }

    /// A memoised resolution of `text`, unless it used a key this request overrides.
    pub(super) fn memo_get(&self, text: &str) -> Option<super::variables::Resolved> {
        let memo = self.memo.lock().ok()?;
        let (resolved, used) = memo.get(text)?;
        let overridden = used
            .iter()
            .any(|k| self.overlay.iter().any(|(o, _)| o == k));
        (!overridden).then(|| resolved.clone())
    }

    pub(super) fn memo_put(
        &self,
        text: &str,
        resolved: &super::variables::Resolved,
        used: Vec<String>,
    ) {
        // A resolution that used a request key is true for this request only.
        if used
            .iter()
            .any(|k| self.overlay.iter().any(|(o, _)| o == k))
        {
            return;
        }
        // A poisoned memo only loses the shortcut: resolving again gives the same answer.
        if let Ok(mut memo) = self.memo.lock() {
            memo.insert(text.to_string(), (resolved.clone(), used));
        }
    }

    /// `None` when nothing is known about the key.
    pub fn get(&self, key: &str) -> Option<&KeyState> {
        // Most keys arrive lower-cased already (clauses store theirs so): no allocation then.
        let key: std::borrow::Cow<str> =
            if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
                std::borrow::Cow::Owned(key.to_lowercase())
            } else {
                std::borrow::Cow::Borrowed(key)
            };
        if let Some((_, state)) = self.overlay.iter().rev().find(|(k, _)| k == key.as_ref()) {
            return Some(state);
        }
        match self.keys.get(key.as_ref()) {
            Some(state) => Some(state),
            None if self.complete.iter().any(|p| key.starts_with(p.as_str())) => Some(&ABSENT),
            None => None,
        }
    }
}
