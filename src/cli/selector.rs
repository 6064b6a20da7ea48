//! Selecting the node a command starts from, with the snapshot's hint when nothing matches
//! (a key id of another account, a temporary key, a name in another account).

use crate::graph::{Graph, NodeId};
use crate::query::{SelectError, select};
use crate::snapshot::Snapshot;

pub fn select_in(
    graph: &Graph,
    snapshot: &Snapshot,
    selector: &str,
) -> Result<NodeId, SelectError> {
    select(graph, selector).map_err(|e| {
        e.with_hint(crate::aws::hints::unknown_selector(
            selector.trim(),
            &snapshot.aws_accounts,
        ))
    })
}
