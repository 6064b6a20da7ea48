//! Decisions with their evidence: a three-valued result, the statements that made it, and
//! what it depends on when undecided.

use crate::aws::policy::document::{Effect, Resources};
use crate::aws::policy::eval::{action_matches, missing_document_hit, statement_ref};
use crate::aws::policy::shape::{resources_cover, resources_intersect};
use crate::aws::policy::{Hit, Policy, Tri, condition};
use crate::aws::principal::Principal;
use crate::graph::{Edge, EdgeKind, Evidence, StatementRef, Text, Undecided};

#[derive(Debug, Clone)]
pub struct Decision {
    pub value: Tri,
    pub statements: Vec<StatementRef>,
    pub undecided: Vec<Undecided>,
}

impl Decision {
    /// Gathers the evidence of the hits that took part. Undecided keys are kept only when the
    /// decision itself is undecided.
    pub fn new(value: Tri, hits: &[&Hit], extra: Vec<Undecided>) -> Decision {
        let mut statements: Vec<StatementRef> = hits
            .iter()
            .filter(|h| h.value.possible())
            .map(|h| h.statement.clone())
            .collect();
        statements.dedup();
        let mut undecided = Vec::new();
        if value == Tri::Unknown {
            undecided.extend(
                hits.iter()
                    .filter(|h| h.value == Tri::Unknown)
                    .flat_map(|h| h.undecided.iter().cloned()),
            );
            undecided.extend(extra);
            undecided.sort();
            undecided.dedup();
            if undecided.is_empty() {
                undecided.push(Undecided {
                    key: "policy".into(),
                    reason: "the policies involved could not be fully decided".into(),
                });
            }
        }
        Decision {
            value,
            statements,
            undecided,
        }
    }

    /// The edge this decision justifies, if it may hold.
    pub fn edge(
        self,
        kind: EdgeKind,
        mechanism: impl Into<Text>,
        notes: Vec<Text>,
    ) -> Option<Edge> {
        if !self.value.possible() {
            return None;
        }
        let mut evidence = Evidence::new(mechanism);
        evidence.statements = self.statements.into();
        evidence.undecided = self.undecided.into();
        evidence.notes = notes.into();
        Some(Edge::new(kind, evidence))
    }
}

/// Whether `principal` may perform `action` on *some* resource matching `resource_pattern`
/// (the holder picks the name: a federated user, a role in an unknown account). Allows count
/// when they overlap the pattern; denies only when they cover it.
pub fn may_on_pattern(principal: &Principal, action: &str, resource_pattern: &str) -> Decision {
    let wanted = Resources::Only(vec![resource_pattern.to_string()]);
    let ctx = &principal.context;
    let mut hits: Vec<Hit> = Vec::new();
    let scan = |policies: &[&Policy], allows: &mut Vec<Hit>, denies: &mut Vec<Hit>| {
        for policy in policies {
            if policy.missing_document {
                allows.push(missing_document_hit(policy));
                continue;
            }
            for statement in &policy.statements {
                if !action_matches(&statement.actions, action) {
                    continue;
                }
                let applies = match statement.effect {
                    Effect::Allow => {
                        resources_intersect(statement.resources.as_ref(), Some(&wanted), ctx)
                    }
                    Effect::Deny => {
                        resources_cover(statement.resources.as_ref(), Some(&wanted), ctx)
                    }
                };
                if !applies {
                    continue;
                }
                let (value, undecided) = condition::evaluate_all(&statement.conditions, ctx);
                if value == Tri::False {
                    continue;
                }
                let hit = Hit {
                    statement: statement_ref(policy, statement),
                    value,
                    grant: None,
                    undecided,
                };
                match statement.effect {
                    Effect::Allow => allows.push(hit),
                    Effect::Deny => denies.push(hit),
                }
            }
        }
    };
    let (mut id_allows, mut denies) = (Vec::new(), Vec::new());
    scan(&principal.identity, &mut id_allows, &mut denies);
    let mut bd_allows = Vec::new();
    if let Some(boundary) = principal.boundary {
        scan(&[boundary], &mut bd_allows, &mut denies);
    }
    let id = Tri::any(id_allows.iter().map(|h| h.value));
    let bd = if principal.boundary.is_some() {
        Tri::any(bd_allows.iter().map(|h| h.value))
    } else {
        Tri::True
    };
    let deny = Tri::any(denies.iter().map(|h| h.value));
    let value = id.and(bd).and(deny.not());
    hits.extend(id_allows);
    hits.extend(bd_allows);
    hits.extend(denies.into_iter().filter(|h| h.value == Tri::Unknown));
    let refs: Vec<&Hit> = hits.iter().collect();
    Decision::new(value, &refs, Vec::new())
}
