//! The build stage: every source of a snapshot lowered into one graph.

use crate::graph::Graph;
use crate::rules::RuleSet;
use crate::snapshot::{MissingSource, Snapshot};

/// A built graph and everything the analysis could not look at.
#[derive(Debug)]
pub struct Analysis {
    pub graph: Graph,
    pub missing: Vec<MissingSource>,
}

pub fn build(snapshot: &Snapshot, rules: &RuleSet) -> Analysis {
    let mut graph = Graph::new();
    let mut missing = snapshot.missing.clone();
    missing.extend(crate::aws::lower::lower(
        &snapshot.aws_accounts,
        snapshot.organization.as_ref(),
        &rules.rules,
        &mut graph,
    ));
    Analysis { graph, missing }
}
