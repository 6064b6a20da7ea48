//! Advice for a responder whose selector found nothing, from what the snapshot lacks.

use crate::aws::model::Account;
use std::sync::Arc;

/// Why an access key id may be missing from the snapshot, and how to find its owner.
pub fn unknown_selector(selector: &str, accounts: &[Arc<Account>]) -> Option<String> {
    let key_like = selector.len() == 20
        && selector
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !key_like {
        return None;
    }
    if selector.starts_with("ASIA") {
        return Some(
            "an ASIA key is temporary credentials, not a user's key: find the call that minted it in CloudTrail (AssumeRole, GetSessionToken, GetFederationToken) and start from that principal"
                .into(),
        );
    }
    if !selector.starts_with("AKIA") {
        return None;
    }
    let without: Vec<&str> = accounts
        .iter()
        .filter(|a| !a.has_access_keys)
        .map(|a| a.id.as_str())
        .collect();
    Some(if without.is_empty() {
        "the key is in no account's access-keys.json: it may belong to an account outside the snapshot (`aws sts get-access-key-info --access-key-id KEY` names the account)".into()
    } else {
        format!(
            "access-keys.json is missing for account {}, so keys cannot be resolved there: start from the owning user (`aws iam get-access-key-last-used --access-key-id KEY` names it)",
            without.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_by_key_kind_and_missing_sources() {
        let mut account = Account {
            id: "111122223333".into(),
            ..Account::default()
        };
        assert!(unknown_selector("ci-deployer", &[]).is_none());
        assert!(
            unknown_selector("ASIAEXAMPLE000000001", &[]).is_some_and(|h| h.contains("temporary"))
        );
        let hint = unknown_selector("AKIAEXAMPLE000000001", &[Arc::new(account.clone())]);
        assert!(hint.is_some_and(|h| h.contains("missing for account 111122223333")));
        account.has_access_keys = true;
        let hint = unknown_selector("AKIAEXAMPLE000000001", &[Arc::new(account.clone())]);
        assert!(hint.is_some_and(|h| h.contains("outside the snapshot")));
    }
}
