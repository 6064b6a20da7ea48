//! Permissions granted to a principal: one node per distinct allow statement (action pattern
//! on resource pattern, with its conditions), after denies and the permission boundary.

use super::PROVIDER;
use crate::aws::policy::document::{Actions, Clause, Effect, Resources, Statement};
use crate::aws::policy::eval::{missing_document_hit, statement_ref};
use crate::aws::policy::shape::{
    actions_cover, actions_intersect, resources_cover, resources_intersect,
};
use crate::aws::policy::variables::{Resolved, resolve};
use crate::aws::policy::{Context, Policy, Tri, condition};
use crate::aws::principal::Principal;
use crate::graph::{Edge, EdgeKind, Evidence, Graph, Node, NodeId, NodeKind, Undecided};

pub fn granted(principal: &Principal, node: NodeId, graph: &mut Graph) {
    let ctx = &principal.context;
    let account = &principal.account.id;
    let denies: Vec<(&Policy, &Statement)> = principal
        .identity
        .iter()
        .copied()
        .chain(principal.boundary)
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
            let target = permission_node(graph, account, &text);
            let mut evidence = Evidence::new("identity policy");
            evidence.statements.push(hit.statement);
            evidence.undecided = hit.undecided;
            graph.add_edge(node, target, Edge::new(EdgeKind::Granted, evidence));
            continue;
        }
        for statement in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            if let Some(evidence) = grant_evidence(principal, policy, statement, &denies, ctx) {
                let text = describe(statement, ctx);
                let target = permission_node(graph, account, &text);
                graph.add_edge(node, target, Edge::new(EdgeKind::Granted, evidence));
            }
        }
    }
}

fn grant_evidence(
    principal: &Principal,
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
        evidence.notes.push(format!(
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
        ));
        evidence.statements.push(reference);
    }

    if let Some(boundary) = principal.boundary {
        if boundary.missing_document {
            undecided.push(Undecided {
                key: boundary.source.name.clone(),
                reason: "the permission boundary's document is not in the snapshot".into(),
            });
        } else {
            let allows = || {
                boundary
                    .statements
                    .iter()
                    .filter(|s| s.effect == Effect::Allow)
            };
            let covering = allows().find(|b| {
                actions_cover(&b.actions, &statement.actions)
                    && resources_cover(b.resources.as_ref(), statement.resources.as_ref(), ctx)
                    && condition::evaluate_all(&b.conditions, ctx).0 == Tri::True
            });
            match covering {
                Some(b) => evidence.statements.push(statement_ref(boundary, b)),
                None => {
                    let overlapping: Vec<&Statement> = allows()
                        .filter(|b| {
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
                    evidence.notes.push(format!(
                        "narrowed by the permission boundary {}",
                        boundary.source.name
                    ));
                    evidence
                        .statements
                        .extend(overlapping.into_iter().map(|b| statement_ref(boundary, b)));
                }
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
        evidence.undecided = undecided;
    }
    Some(evidence)
}

fn permission_node(graph: &mut Graph, account: &str, text: &str) -> NodeId {
    graph.add_node(
        Node::new(
            NodeKind::Permission,
            PROVIDER,
            "permission",
            format!("aws:permission:{account}:{text}"),
            text.to_string(),
        )
        .in_account(account),
    )
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
