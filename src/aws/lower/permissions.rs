//! Permissions granted to a principal: one node per distinct allow statement (action pattern
//! on resource pattern, with its conditions), after denies and the permission boundary.

use super::PROVIDER;
use super::batch::{Batch, End};
use crate::aws::policy::document::{Actions, Clause, Effect, Resources, Statement};
use crate::aws::policy::eval::{missing_document_hit, statement_ref};
use crate::aws::policy::shape::{
    actions_cover, actions_intersect, resources_cover, resources_intersect,
};
use crate::aws::policy::variables::{Resolved, resolve};
use crate::aws::policy::{Context, Policy, Tri, condition};
use crate::aws::principal::Principal;
use crate::graph::{Edge, EdgeKind, Evidence, Node, NodeId, NodeKind, Undecided};

/// Adds the principal's permission edges. `scp_levels` are the SCPs from the root down to
/// its account, when any apply: like the boundary, each level must allow what is granted,
/// and their denies cut it.
pub fn granted(
    principal: &Principal,
    scp_levels: Option<&[(String, Vec<&Policy>)]>,
    node: NodeId,
    met: super::Met,
    graph: &mut Batch,
) {
    let ctx = &principal.context;
    let account = &principal.account.id;
    let mut guards: Vec<Guard> = principal
        .boundary
        .map(|b| Guard {
            name: format!("the permission boundary {}", b.source.name),
            policies: vec![b],
        })
        .into_iter()
        .collect();
    for (target, policies) in scp_levels.into_iter().flatten() {
        guards.push(Guard {
            name: format!("the service control policies on `{target}`"),
            policies: policies.clone(),
        });
    }
    let denies: Vec<(&Policy, &Statement)> = principal
        .identity
        .iter()
        .copied()
        .chain(guards.iter().flat_map(|g| g.policies.iter().copied()))
        .flat_map(|p| p.statements.iter().map(move |s| (p, s)))
        .filter(|(_, s)| s.effect == Effect::Deny)
        .collect();
    for policy in &principal.identity {
        if policy.missing_document {
            let hit = missing_document_hit(policy);
            let text = format!(
                "whatever {} allows (document not in the snapshot)",
                policy.source.name
            );
            let target = permission_node(graph, account, &text, None);
            let mut evidence = Evidence::new("identity policy");
            evidence.statements.push(hit.statement);
            evidence.undecided = hit.undecided.into();
            graph.add_edge(node, target, Edge::new(EdgeKind::Granted, evidence));
            continue;
        }
        for statement in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            // A search that has met the permission needs no edge to it.
            let mut described = None;
            if !met.is_empty() {
                let text = describe(statement, ctx);
                let key = permission_key(account, &text);
                if graph.find_key(&key).is_some_and(|n| met.has(n)) {
                    continue;
                }
                described = Some(text);
            }
            if let Some(evidence) = grant_evidence(&guards, policy, statement, &denies, ctx) {
                let text = described.unwrap_or_else(|| describe(statement, ctx));
                let target = permission_node(graph, account, &text, Some((statement, ctx)));
                graph.add_edge(node, target, Edge::new(EdgeKind::Granted, evidence));
            }
        }
    }
}

/// A layer of policies that must also allow a grant: a permission boundary, or the SCPs of
/// one level of the organisation.
pub struct Guard<'a> {
    pub name: String,
    pub policies: Vec<&'a Policy>,
}

fn grant_evidence(
    guards: &[Guard],
    policy: &Policy,
    statement: &Statement,
    denies: &[(&Policy, &Statement)],
    ctx: &Context,
) -> Option<Evidence> {
    let (value, mut undecided) = condition::evaluate_all(&statement.conditions, ctx);
    if value == Tri::False {
        return None;
    }
    let mut evidence = Evidence::new(format!("identity policy {}", policy.source.name));
    evidence.statements.push(statement_ref(policy, statement));

    for (deny_policy, deny) in denies {
        if !actions_intersect(&deny.actions, &statement.actions)
            || !resources_intersect(deny.resources.as_ref(), statement.resources.as_ref(), ctx)
        {
            continue;
        }
        let (applies, _) = condition::evaluate_all(&deny.conditions, ctx);
        if applies == Tri::False {
            continue;
        }
        let whole = actions_cover(&deny.actions, &statement.actions)
            && resources_cover(deny.resources.as_ref(), statement.resources.as_ref(), ctx);
        if whole && applies == Tri::True {
            return None;
        }
        let reference = statement_ref(deny_policy, deny);
        evidence.notes.push(
            format!(
                "{} by {} at {}{}",
                if whole {
                    "denied when its conditions hold"
                } else {
                    "partly denied"
                },
                reference.policy,
                reference.pointer,
                if applies == Tri::Unknown {
                    " (conditions undecided)"
                } else {
                    ""
                }
            )
            .into(),
        );
        evidence.statements.push(reference);
    }

    // Each layer that must also allow: the permission boundary, and every SCP level.
    for guard in guards {
        if let Some(missing) = guard.policies.iter().find(|p| p.missing_document) {
            undecided.push(Undecided {
                key: missing.source.name.as_str().into(),
                reason: format!("{} is not in the snapshot", guard.name).into(),
            });
            continue;
        }
        let allows = || {
            guard
                .policies
                .iter()
                .flat_map(|p| p.statements.iter().map(move |s| (*p, s)))
                .filter(|(_, s)| s.effect == Effect::Allow)
        };
        let covering = allows().find(|(_, b)| {
            actions_cover(&b.actions, &statement.actions)
                && resources_cover(b.resources.as_ref(), statement.resources.as_ref(), ctx)
                && condition::evaluate_all(&b.conditions, ctx).0 == Tri::True
        });
        match covering {
            Some((p, b)) => evidence.statements.push(statement_ref(p, b)),
            None => {
                let overlapping: Vec<_> = allows()
                    .filter(|(_, b)| {
                        actions_intersect(&b.actions, &statement.actions)
                            && resources_intersect(
                                b.resources.as_ref(),
                                statement.resources.as_ref(),
                                ctx,
                            )
                            && condition::evaluate_all(&b.conditions, ctx).0.possible()
                    })
                    .collect();
                if overlapping.is_empty() {
                    return None;
                }
                evidence
                    .notes
                    .push(format!("narrowed by {}", guard.name).into());
                evidence
                    .statements
                    .extend(overlapping.into_iter().map(|(p, b)| statement_ref(p, b)));
            }
        }
    }
    if value == Tri::Unknown || !undecided.is_empty() {
        if undecided.is_empty() {
            undecided.push(Undecided {
                key: "condition".into(),
                reason: "the statement's conditions could not be decided".into(),
            });
        }
        evidence.undecided = undecided.into();
    }
    Some(evidence)
}

/// The key of the permission node of `text` in `account`.
fn permission_key(account: &str, text: &str) -> String {
    format!("aws:permission:{account}:{text}")
}

/// A permission node. Besides its text it carries its action and resource patterns as
/// attributes (one per line; `actions_excluded`/`resources_excluded` for NotAction and
/// NotResource), so reports can ask what it covers without parsing the text. A statement
/// whose document is missing carries `unknown_document` instead: it may allow anything.
fn permission_node(
    graph: &mut Batch,
    account: &str,
    text: &str,
    statement: Option<(&Statement, &Context)>,
) -> End {
    let mut node = Node::new(
        NodeKind::Permission,
        PROVIDER,
        "permission",
        permission_key(account, text),
        text.to_string(),
    )
    .in_account(account);
    match statement {
        None => node = node.with_attr("unknown_document", "true"),
        Some((statement, ctx)) => {
            let (actions, excluded) = match &statement.actions {
                Actions::Only(list) => (list, false),
                Actions::AllBut(list) => (list, true),
            };
            node = node.with_attr("actions", actions.join("\n"));
            if excluded {
                node = node.with_attr("actions_excluded", "true");
            }
            // A variable the principal does not decide may stand for anything; a `*` a
            // variable produced literally reads as a wildcard here, which only widens.
            let patterns = |list: &[String]| -> String {
                list.iter()
                    .map(|r| match resolve(r, ctx) {
                        Resolved::Text(t) => crate::aws::policy::pattern::unescape(&t),
                        _ => "*".to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            match &statement.resources {
                None => node = node.with_attr("resources", "*"),
                Some(Resources::Only(list)) => node = node.with_attr("resources", patterns(list)),
                Some(Resources::AllBut(list)) => {
                    node = node
                        .with_attr("resources", patterns(list))
                        .with_attr("resources_excluded", "true");
                }
            }
        }
    }
    graph.add_node(node)
}

/// `s3:GetObject, s3:PutObject on arn:aws:s3:::b/*` with policy variables the principal
/// decides already replaced, and conditions appended.
pub fn describe(statement: &Statement, ctx: &Context) -> String {
    let actions = match &statement.actions {
        Actions::Only(list) => list.join(", "),
        Actions::AllBut(list) => format!("every action but {}", list.join(", ")),
    };
    let resolve_all = |list: &[String]| -> String {
        list.iter()
            .map(|r| match resolve(r, ctx) {
                Resolved::Text(t) => crate::aws::policy::pattern::unescape(&t),
                _ => r.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let resources = match &statement.resources {
        None => "*".to_string(),
        Some(Resources::Only(list)) => resolve_all(list),
        Some(Resources::AllBut(list)) => format!("every resource but {}", resolve_all(list)),
    };
    let mut text = format!("{actions} on {resources}");
    if !statement.conditions.is_empty() {
        let conditions: Vec<String> = statement.conditions.iter().map(describe_clause).collect();
        text.push_str(" when ");
        text.push_str(&conditions.join(" and "));
    }
    text
}

fn describe_clause(clause: &Clause) -> String {
    format!(
        "{} {} {}",
        clause.operator.raw,
        clause.key,
        clause.values.join("|")
    )
}
