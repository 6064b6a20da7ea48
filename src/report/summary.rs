//! What a radius amounts to: admin reach per account and counts per kind, shared by every
//! output format.

use crate::graph::{Graph, NodeId, NodeKind, Reach};
use crate::query::Radius;
use crate::snapshot::MissingSource;

pub struct RadiusSummary<'a> {
    pub graph: &'a Graph,
    pub radius: &'a Radius,
    pub missing: &'a [MissingSource],
    /// Account-control nodes reached, with their reach, in order of discovery.
    pub admin: Vec<(NodeId, Reach)>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub principals: usize,
    pub sessions: usize,
    pub permissions: usize,
    pub resources: usize,
    pub credentials: usize,
}

impl<'a> RadiusSummary<'a> {
    pub fn new(graph: &'a Graph, radius: &'a Radius, missing: &'a [MissingSource]) -> Self {
        // Kinds from the compact adjacency: one byte per node instead of a node record each.
        let compact = graph.compact();
        let admin = radius
            .reached
            .iter()
            .filter(|r| compact.kind(r.node) == Some(NodeKind::AccountControl))
            .map(|r| (r.node, r.reach))
            .collect();
        RadiusSummary {
            graph,
            radius,
            missing,
            admin,
        }
    }

    /// The strongest admin reach over all accounts.
    pub fn admin_reach(&self) -> Option<Reach> {
        self.admin.iter().map(|(_, r)| *r).min()
    }

    pub fn counts(&self) -> Counts {
        let compact = self.graph.compact();
        let mut c = Counts::default();
        for r in &self.radius.reached {
            match compact.kind(r.node) {
                Some(NodeKind::Principal) => c.principals += 1,
                Some(NodeKind::Session) => c.sessions += 1,
                Some(NodeKind::Permission) => c.permissions += 1,
                Some(NodeKind::Resource) => c.resources += 1,
                Some(NodeKind::Credential) => c.credentials += 1,
                Some(NodeKind::AccountControl) | None => {}
            }
        }
        c
    }
}
