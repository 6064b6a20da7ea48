//! The build stage: every source of a snapshot lowered into one graph.

use crate::graph::{Graph, NodeId};
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

/// The part of the graph a search from one node needs, for a single radius on a snapshot
/// without an index: every node, and the edges of the principals `start` reaches (see
/// `aws::lower::reachable`). A radius from the start over it equals one over [`build`]'s
/// graph; other queries need [`build`]. `start` picks the node on the graph's skeleton.
pub fn build_from<E>(
    snapshot: &Snapshot,
    rules: &RuleSet,
    start: impl FnOnce(&Graph) -> Result<NodeId, E>,
) -> Result<(Analysis, NodeId), E> {
    let mut graph = Graph::new();
    let mut missing = snapshot.missing.clone();
    let (start, lowered) = crate::aws::lower::lower_reachable(
        &snapshot.aws_accounts,
        snapshot.organization.as_ref(),
        &rules.rules,
        &mut graph,
        start,
    )?;
    missing.extend(lowered);
    Ok((Analysis { graph, missing }, start))
}
