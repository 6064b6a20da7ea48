//! Administrator-equivalent control of an account: an allow of every action on every
//! resource, within the permission boundary, not cut by a deny on IAM.

use super::decide::Decision;
use crate::aws::model::Account;
use crate::aws::policy::document::{Actions, Effect, Resources};
use crate::aws::policy::eval::{missing_document_hit, statement_ref};
use crate::aws::policy::shape::{
    actions_cover, actions_intersect, all_actions, all_resources, resources_cover,
    resources_intersect,
};
use crate::aws::policy::{Hit, Policy, Tri, condition};
use crate::aws::principal::Principal;
use crate::graph::{Edge, EdgeKind, Evidence, Graph, NodeId, Undecided};

/// Adds `principal → account control` when its effective permissions allow `*` on `*`.
/// `scp_levels` are the service control policies from the root down to the account, when
/// any apply: every level must allow it, and their denies count like the principal's own.
pub fn administers(
    principal: &Principal,
    scp_levels: Option<&[(String, Vec<&Policy>)]>,
    node: NodeId,
    control: NodeId,
    graph: &mut super::batch::Batch,
) {
    if let Some(edge) = admin_edge(principal, scp_levels) {
        graph.add_edge(node, control, edge);
    }
}

/// The `administers` edge a principal with these policies would have, if any.
pub fn admin_edge(
    principal: &Principal,
    scp_levels: Option<&[(String, Vec<&Policy>)]>,
) -> Option<Edge> {
    let ctx = &principal.context;
    let all_of = |policy: &Policy| -> Vec<Hit> {
        if policy.missing_document {
            return vec![missing_document_hit(policy)];
        }
        policy
            .statements
            .iter()
            .filter(|s| {
                s.effect == Effect::Allow
                    && all_actions(&s.actions)
                    && all_resources(s.resources.as_ref())
            })
            .filter_map(|s| {
                let (value, undecided) = condition::evaluate_all(&s.conditions, ctx);
                value.possible().then(|| Hit {
                    statement: statement_ref(policy, s),
                    value,
                    grant: None,
                    undecided,
                })
            })
            .collect()
    };
    let identity: Vec<Hit> = principal.identity.iter().flat_map(|p| all_of(p)).collect();
    let allow = Tri::any(identity.iter().map(|h| h.value));
    if !allow.possible() {
        return None;
    }
    let boundary: Vec<Hit> = principal.boundary.map(all_of).unwrap_or_default();
    let within_boundary = if principal.boundary.is_some() {
        Tri::any(boundary.iter().map(|h| h.value))
    } else {
        Tri::True
    };

    // Every SCP level must allow everything; one that allows only part of IAM leaves
    // control uncertain.
    let iam_any = Actions::Only(vec!["iam:*".into()]);
    let mut scp_hits: Vec<Hit> = Vec::new();
    let mut scp_ok = Tri::True;
    for (target, policies) in scp_levels.into_iter().flatten() {
        let mut level = Tri::False;
        for policy in policies {
            let full = all_of(policy);
            level = level.or(Tri::any(full.iter().map(|h| h.value)));
            scp_hits.extend(full);
            let partial = policy
                .statements
                .iter()
                .any(|s| s.effect == Effect::Allow && actions_intersect(&s.actions, &iam_any));
            if partial {
                level = level.or(Tri::Unknown);
            }
        }
        if level == Tri::Unknown {
            scp_hits.push(Hit {
                statement: crate::graph::StatementRef::new(crate::graph::Citation {
                    file: "aws/organizations.json".into(),
                    pointer: "".into(),
                    policy: format!("service control policies on `{target}`").into(),
                    sid: None,
                    effect: "allow",
                }),
                value: Tri::Unknown,
                grant: None,
                undecided: vec![Undecided {
                    key: format!("SCPs on {target}").into(),
                    reason:
                        "they allow only part of the actions: control of the account may be partial"
                            .into(),
                }],
            });
        }
        scp_ok = scp_ok.and(level);
    }

    // Denies on IAM take control away: wholly when they deny all of IAM everywhere,
    // uncertainly when they deny part of it.
    let iam = Actions::Only(vec!["iam:*".into()]);
    let everywhere = Resources::Only(vec!["*".into()]);
    let iam_resources = Resources::Only(vec![format!("arn:aws:iam::{}:*", principal.account.id)]);
    let mut deny = Tri::False;
    let mut denies = Vec::new();
    let mut extra = Vec::new();
    let scp_policies = scp_levels
        .into_iter()
        .flatten()
        .flat_map(|(_, p)| p.iter().copied());
    for policy in principal
        .identity
        .iter()
        .copied()
        .chain(principal.boundary)
        .chain(scp_policies)
    {
        for s in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny)
        {
            if !actions_intersect(&s.actions, &iam)
                || !resources_intersect(s.resources.as_ref(), Some(&iam_resources), ctx)
            {
                continue;
            }
            let (applies, undecided) = condition::evaluate_all(&s.conditions, ctx);
            if !applies.possible() {
                continue;
            }
            let whole = actions_cover(&s.actions, &iam)
                && resources_cover(s.resources.as_ref(), Some(&everywhere), ctx);
            let value = if whole {
                applies
            } else {
                applies.and(Tri::Unknown)
            };
            let reference = statement_ref(policy, s);
            if !whole {
                extra.push(Undecided {
                    key: format!("{}{}", reference.policy, reference.pointer).into(),
                    reason:
                        "a deny on part of IAM may keep some principals of the account out of reach"
                            .into(),
                });
            }
            deny = deny.or(value);
            denies.push(Hit {
                statement: reference,
                value,
                grant: None,
                undecided,
            });
        }
    }
    let value = allow.and(within_boundary).and(scp_ok).and(deny.not());
    let hits: Vec<&Hit> = identity
        .iter()
        .chain(&boundary)
        .chain(&scp_hits)
        .chain(denies.iter().filter(|h| h.value == Tri::Unknown))
        .collect();
    let decision = Decision::new(value, &hits, extra);
    decision.edge(
        EdgeKind::Administers,
        "administrator-equivalent: every action on every resource is allowed",
        vec![format!("controls account {}", principal.account.id).into()],
    )
}

/// Control of an account reaches every principal in it: an administrator can create access
/// keys for any user and rewrite any role's trust policy.
pub fn controls(account: &Account, control: NodeId, graph: &mut Graph) {
    let arns = account
        .users
        .iter()
        .map(|u| &u.arn)
        .chain(
            account
                .roles
                .iter()
                .filter(|r| !r.is_service_linked())
                .map(|r| &r.arn),
        )
        .chain(account.groups.iter().map(|g| &g.arn));
    let targets: Vec<NodeId> = arns.filter_map(|arn| graph.find_key(arn)).collect();
    for target in targets {
        let evidence = Evidence::new(
            "account control: an administrator can create credentials for any user and rewrite any role's trust policy",
        );
        graph.add_edge(control, target, Edge::new(EdgeKind::Controls, evidence));
    }
}
