//! Selectors: how a person names a node on the command line (an access key id, an ARN, a
//! unique short name), with "did you mean" when nothing matches.

use crate::graph::{Graph, NodeId, NodeKind};
use crate::redact;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("no node matches `{selector}`{}{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default(), did_you_mean(.suggestions))]
    NotFound {
        selector: String,
        suggestions: Vec<String>,
        /// What the caller knows about why (a source missing from the snapshot).
        hint: Option<String>,
    },
    #[error("`{selector}` is ambiguous: it names {}; use the full id", .matches.join(" and "))]
    Ambiguous {
        selector: String,
        matches: Vec<String>,
    },
    #[error(
        "`{selector}` looks like a secret, not an identifier: name the access key by its id (AKIA...)"
    )]
    Secret { selector: String },
}

impl SelectError {
    /// Adds what the caller knows about a miss.
    pub fn with_hint(self, hint: Option<String>) -> Self {
        match self {
            SelectError::NotFound {
                selector,
                suggestions,
                ..
            } => SelectError::NotFound {
                selector,
                suggestions,
                hint,
            },
            other => other,
        }
    }
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}?",
            suggestions
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Finds the node `selector` names: an exact id first, then a short name (case-insensitive)
/// among credentials and principals.
pub fn select(graph: &Graph, selector: &str) -> Result<NodeId, SelectError> {
    let selector = selector.trim();
    if redact::looks_secret(selector) {
        return Err(SelectError::Secret {
            selector: redact::fingerprint(selector),
        });
    }
    if let Some(id) = graph.find_key(selector) {
        return Ok(id);
    }
    let named: Vec<NodeId> = graph
        .find_name(selector)
        .iter()
        .copied()
        .filter(|&id| {
            matches!(
                graph.node(id).kind,
                NodeKind::Principal | NodeKind::Credential
            )
        })
        .collect();
    match named.as_slice() {
        [one] => Ok(*one),
        [] => Err(SelectError::NotFound {
            selector: selector.to_string(),
            suggestions: suggestions(graph, selector),
            hint: None,
        }),
        many => Err(SelectError::Ambiguous {
            selector: selector.to_string(),
            matches: many
                .iter()
                .map(|&id| format!("{} (`{}`)", graph.node(id).label, graph.node(id).key))
                .collect(),
        }),
    }
}

/// Up to three ids or names close to `selector`, best first.
fn suggestions(graph: &Graph, selector: &str) -> Vec<String> {
    let wanted = selector.to_lowercase();
    let mut scored: Vec<(f64, std::borrow::Cow<str>)> = graph
        .selector_candidates()
        .filter(|c| !c.starts_with("aws:permission:"))
        .map(|c| (strsim::jaro_winkler(&wanted, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, c) in scored {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&c)) {
            out.push(c.into_owned());
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Node;

    fn graph() -> Graph {
        let mut g = Graph::new();
        let u = g.add_node(Node::new(
            NodeKind::Principal,
            "aws",
            "user",
            "arn:aws:iam::1:user/ci-deployer",
            "user/ci-deployer",
        ));
        g.add_alias(u, "ci-deployer");
        let r = g.add_node(Node::new(
            NodeKind::Principal,
            "aws",
            "role",
            "arn:aws:iam::1:role/deploy",
            "role/deploy",
        ));
        g.add_alias(r, "deploy");
        let u2 = g.add_node(Node::new(
            NodeKind::Principal,
            "aws",
            "user",
            "arn:aws:iam::1:user/deploy",
            "user/deploy",
        ));
        g.add_alias(u2, "deploy");
        g.add_node(Node::new(
            NodeKind::Credential,
            "aws",
            "access-key",
            "AKIAIOSFODNN7EXAMPLE",
            "AKIAIOSFODNN7EXAMPLE",
        ));
        g
    }

    #[test]
    fn ids_then_names() {
        let g = graph();
        assert!(select(&g, "AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(select(&g, "arn:aws:iam::1:role/deploy").is_ok());
        assert!(select(&g, "CI-Deployer").is_ok());
    }

    #[test]
    fn misses_suggest_close_names() {
        let g = graph();
        match select(&g, "ci-deploy") {
            Err(SelectError::NotFound { suggestions, .. }) => {
                assert_eq!(suggestions.first().map(String::as_str), Some("ci-deployer"))
            }
            other => unreachable!("expected not found, got {other:?}"),
        }
    }

    #[test]
    fn ambiguous_names_are_refused() {
        let g = graph();
        assert!(matches!(
            select(&g, "deploy"),
            Err(SelectError::Ambiguous { .. })
        ));
    }

    #[test]
    fn secrets_are_never_echoed() {
        let g = graph();
        let e = select(&g, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!e.contains("wJalr"), "{e}");
        assert!(e.contains("secret:sha256:"), "{e}");
    }
}
