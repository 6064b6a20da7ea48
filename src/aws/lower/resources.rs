//! Resources the snapshot knows (from resource-policies.json), and which principals can act
//! on them, decided by the same authorizer as `blastmap can`.

use super::PROVIDER;
use super::batch::Batch;
use crate::aws::authz::{Authorizer, Decision};
use crate::aws::model::Account;
use crate::aws::policy::document::{Actions, Effect};
use crate::aws::policy::{Tri, pattern};
use crate::aws::principal::Principal;
use crate::graph::{Edge, EdgeKind, Evidence, Node, NodeId, NodeKind, StatementRef, Undecided};
use serde::Deserialize;
use std::sync::Arc;

const BUILTIN: &str = include_str!("../../../policies/aws/resource-access.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceKind {
    pub class: String,
    pub arn: String,
    pub actions: Vec<String>,
    #[serde(default)]
    pub object_actions: Vec<String>,
    #[serde(default)]
    pub object_suffix: Option<String>,
    #[serde(default)]
    pub holds_secret: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceFile {
    resource: Vec<ResourceKind>,
}

/// The built-in resource kinds of `policies/aws/resource-access.toml`.
pub fn builtin_kinds() -> Result<Vec<ResourceKind>, toml::de::Error> {
    toml::from_str::<ResourceFile>(BUILTIN).map(|f| f.resource)
}

/// One resource node per resource with a policy, and an `accesses` edge from every principal
/// that may perform one of its actions.
pub fn resources(
    accounts: &[Arc<Account>],
    kinds: &[ResourceKind],
    principals: &[(Principal, NodeId)],
    authz: &Authorizer,
    only: Option<&std::collections::HashSet<String>>,
    graph: &mut Batch,
) {
    for account in accounts {
        let with_policy = account
            .resource_policies
            .iter()
            .flatten()
            .map(|(arn, policy)| (arn, Some(policy)));
        let without = account
            .resources_without_policy
            .iter()
            .map(|arn| (arn, None));
        for (arn, policy) in with_policy.chain(without) {
            let kind = kinds.iter().find(|k| pattern::matches(&k.arn, arn, false));
            let (class, checks) = match kind {
                Some(k) => {
                    let mut checks: Vec<(String, String)> =
                        k.actions.iter().map(|a| (a.clone(), arn.clone())).collect();
                    let object = format!("{arn}{}", k.object_suffix.as_deref().unwrap_or("/*"));
                    checks.extend(k.object_actions.iter().map(|a| (a.clone(), object.clone())));
                    (k.class.clone(), checks)
                }
                None => (
                    "resource".to_string(),
                    policy
                        .map(own_actions)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|a| (a, arn.clone()))
                        .collect(),
                ),
            };
            let mut node = Node::new(
                NodeKind::Resource,
                PROVIDER,
                leak(&class),
                arn.clone(),
                short(arn),
            )
            .in_account(&account.id);
            if kind.is_some_and(|k| k.holds_secret) {
                node = node.with_attr("holds_secret", "true");
            }
            let resource = graph.add_node(node);
            for (principal, from) in principals {
                if only.is_some_and(|o| !o.contains(principal.arn())) {
                    continue;
                }
                if let Some(edge) = access(authz, principal, &checks) {
                    graph.add_edge(*from, resource, edge);
                }
            }
        }
    }
}

/// The edge for the actions `principal` may perform, if any.
fn access(authz: &Authorizer, principal: &Principal, checks: &[(String, String)]) -> Option<Edge> {
    let mut definite = Vec::new();
    let mut conditional = Vec::new();
    let mut statements: Vec<StatementRef> = Vec::new();
    let mut undecided: Vec<Undecided> = Vec::new();
    for (action, target) in checks {
        let d: Decision = authz.decide_some(principal, action, target);
        match d.value {
            Tri::True => definite.push(action.as_str()),
            Tri::Unknown => {
                conditional.push(action.as_str());
                undecided.extend(d.undecided);
            }
            Tri::False => continue,
        }
        for s in d.allowed_by {
            if !statements.contains(&s) {
                statements.push(s);
            }
        }
    }
    if definite.is_empty() && conditional.is_empty() {
        return None;
    }
    let mut evidence = Evidence::new(match (definite.is_empty(), conditional.is_empty()) {
        (false, true) => format!("may {}", definite.join(", ")),
        (false, false) => format!(
            "may {}; under conditions also {}",
            definite.join(", "),
            conditional.join(", ")
        ),
        _ => format!("under conditions may {}", conditional.join(", ")),
    });
    evidence.statements = statements.into();
    if definite.is_empty() {
        undecided.sort();
        undecided.dedup();
        if undecided.is_empty() {
            undecided.push(Undecided {
                key: "policy".into(),
                reason: "the policies involved could not be fully decided".into(),
            });
        }
        evidence.undecided = undecided.into();
    }
    Some(Edge::new(EdgeKind::Accesses, evidence))
}

/// Concrete actions a resource's own policy allows, for resource types no entry describes.
fn own_actions(policy: &crate::aws::policy::Policy) -> Vec<String> {
    let mut out = Vec::new();
    for s in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        if let Actions::Only(list) = &s.actions {
            for a in list.iter().filter(|a| !pattern::has_wildcard(a)) {
                if !out.contains(a) {
                    out.push(a.clone());
                }
            }
        }
    }
    out
}

/// `arn:aws:s3:::bucket` → `s3:::bucket`; keeps the part a person recognises.
fn short(arn: &str) -> String {
    arn.strip_prefix("arn:aws:").unwrap_or(arn).to_string()
}

/// Node classes are `&'static str`; resource classes come from data loaded once, so the few
/// distinct names are interned for the life of the process.
fn leak(class: &str) -> &'static str {
    use std::sync::{Mutex, OnceLock};
    static CLASSES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let classes = CLASSES.get_or_init(|| Mutex::new(Vec::new()));
    let Ok(mut list) = classes.lock() else {
        return "resource";
    };
    if let Some(c) = list.iter().find(|c| **c == class) {
        return c;
    }
    let interned: &'static str = Box::leak(class.to_string().into_boxed_str());
    list.push(interned);
    interned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_resource_kinds_parse() {
        let kinds = builtin_kinds().map_err(|e| e.to_string());
        assert!(kinds.as_ref().is_ok_and(|k| k.len() >= 5), "{kinds:?}");
        let kinds = kinds.unwrap_or_default();
        let secret = kinds.iter().find(|k| {
            pattern::matches(
                &k.arn,
                "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf",
                false,
            )
        });
        assert_eq!(secret.map(|k| k.class.as_str()), Some("secret"));
    }
}
