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
        let admin = radius
            .reached
            .iter()
            .filter(|r| graph.node(r.node).kind == NodeKind::AccountControl)
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
        let mut c = Counts::default();
        for r in &self.radius.reached {
            match self.graph.node(r.node).kind {
                NodeKind::Principal => c.principals += 1,
                NodeKind::Session => c.sessions += 1,
                NodeKind::Permission => c.permissions += 1,
                NodeKind::Resource => c.resources += 1,
                NodeKind::Credential => c.credentials += 1,
                NodeKind::AccountControl => {}
            }
        }
        c
    }
}
