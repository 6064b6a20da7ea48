//! Lowering only what one search needs: the principals a start node can reach get their
//! edges decided, the others do not.
//!
//! Every edge a principal's policies decide starts at that principal's node, and the edges
//! out of every other node (keys, groups, sessions, account control) need no decision. So
//! once the skeleton is laid, a search that decides each principal it reaches, when it
//! reaches it, sees exactly the rows the full graph has for the nodes it reaches: the same
//! edges, in the same order. A radius over the result equals the radius over the full graph,
//! witnesses included; only the unreached principals' edges are missing, and no search from
//! the start can tell.

use super::{Decider, Skeleton, escalation, missing_documents, resource_kinds};
use crate::aws::authz::Authorizer;
use crate::aws::model::Account;
use crate::aws::organization::Organization;
use crate::aws::principal::PolicyBook;
use crate::graph::{Compact, Graph, NodeId};
use crate::progress::Progress;
use crate::snapshot::MissingSource;
use std::collections::HashMap;
use std::sync::Arc;

/// Lowers into `graph` the skeleton of every account and the edges of the principals that
/// `start` (chosen on the skeleton, which holds every principal, group, key and session)
/// reaches along edges of any reach. Returns the start and the sources found missing, the
/// same as [`super::lower`] returns for the same snapshot.
pub fn lower_reachable<E>(
    accounts: &[Arc<Account>],
    organization: Option<&Organization>,
    rules: &[crate::rules::Rule],
    graph: &mut Graph,
    start: impl FnOnce(&Graph) -> Result<NodeId, E>,
) -> Result<(NodeId, Vec<MissingSource>), E> {
    let authz = Authorizer::new(accounts, organization).quiet();
    let book = PolicyBook::new(accounts);
    let mut missing = missing_documents(&book);
    let skeleton = Skeleton::lower(accounts, organization, &book, graph, &mut missing);
    skeleton.control_edges(accounts, graph);
    let start = start(graph)?;

    let decider = Decider {
        accounts,
        organization,
        authz: &authz,
        book: &book,
        roles: &skeleton.roles,
        controls: &skeleton.controls,
        scope: None,
        escalation: escalation::Escalation::new(rules, &authz, &book, organization, accounts),
        kinds: resource_kinds(&mut missing),
    };
    // The skeleton's rows, read as the search goes: the edges decided later are kept beside
    // them, by source, until their source is searched.
    let skeleton_rows = Compact::new(graph);
    let principal_at: HashMap<NodeId, usize> = skeleton
        .principals
        .iter()
        .enumerate()
        .map(|(at, &(_, node))| (node, at))
        .collect();
    let progress = Progress::spinner("deciding the principals reached");
    let mut decided_rows: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
    let mut seen = vec![false; graph.node_bound()];
    seen[start.index()] = true;
    let mut frontier = vec![start];
    // Breadth first, a level at a time: the level's principals are decided together, on
    // every core, then their rows and the others' are read for the next level.
    while !frontier.is_empty() {
        let reached: Vec<usize> = frontier
            .iter()
            .filter_map(|node| principal_at.get(node).copied())
            .collect();
        decider.add(
            &reached,
            |&at| &skeleton.principals[at],
            graph,
            &progress,
            |from, to| decided_rows.entry(from).or_default().push(to),
        );
        seen.resize(graph.node_bound(), false);
        let mut next = Vec::new();
        for node in frontier {
            let laid = (node.index() < skeleton_rows.bound())
                .then(|| skeleton_rows.out_edges(node).map(|step| step.node))
                .into_iter()
                .flatten();
            let decided = decided_rows.remove(&node).unwrap_or_default();
            for target in laid.chain(decided) {
                if !seen[target.index()] {
                    seen[target.index()] = true;
                    next.push(target);
                }
            }
        }
        frontier = next;
    }
    progress.finish();
    Ok((start, missing))
}
