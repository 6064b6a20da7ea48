//! Secrets never leave blastmap: anything that looks like one is replaced by a fingerprint
//! before it reaches an output, an error message or a log.

use sha2::{Digest, Sha256};

/// Whether `text` looks like a secret rather than an identifier: an AWS secret access key
/// (40 characters of base64), a session token, or any long high-entropy string.
pub fn looks_secret(text: &str) -> bool {
    let t = text.trim();
    if t.len() < 32 || t.starts_with("arn:") || t.contains(char::is_whitespace) {
        return false;
    }
    let base64ish = t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'=' | b'-' | b'_'));
    let classes = [
        t.bytes().any(|b| b.is_ascii_lowercase()),
        t.bytes().any(|b| b.is_ascii_uppercase()),
        t.bytes().any(|b| b.is_ascii_digit()),
    ];
    base64ish && classes.iter().filter(|&&c| c).count() >= 2 && !t.contains(':')
}

/// A short, stable fingerprint that identifies a secret without revealing it.
pub fn fingerprint(secret: &str) -> String {
    let digest = Sha256::digest(secret.trim().as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("secret:sha256:{hex}")
}

/// `text` itself, or its fingerprint when it looks like a secret.
pub fn for_display(text: &str) -> String {
    if looks_secret(text) {
        fingerprint(text)
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_fingerprinted() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert!(looks_secret(secret));
        let shown = for_display(secret);
        assert!(shown.starts_with("secret:sha256:"));
        assert!(!shown.contains("wJalr"));
        assert_eq!(shown, for_display(secret), "fingerprints are stable");
    }

    #[test]
    fn identifiers_are_shown() {
        for id in [
            "AKIAIOSFODNN7EXAMPLE",
            "arn:aws:iam::111122223333:role/ci-build",
            "ci-deployer",
            "arn:aws:iam::111122223333:user/automation/some-very-long-user-name-here",
        ] {
            assert_eq!(for_display(id), id);
        }
    }
}
