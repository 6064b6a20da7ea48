//! Lowering only what one search needs: the principals a start node can reach get their
//! edges decided, the others do not.
//!
//! Every edge a principal's policies decide starts at that principal's node, and the edges
//! out of every other node (keys, groups, sessions, account control) need no decision. So
//! once the skeleton is laid, a search that decides each principal it reaches, when it
//! reaches it, sees the rows the full graph has for the nodes it reaches, in the same order,
//! less edges neither breadth-first search of a radius would follow: from principals the
//! search along definite edges never reaches, into nodes the search along all edges has met
//! by the time it reads their row. A radius over the result equals the radius over the full
//! graph, witnesses included.

use super::{Decider, Met, Skeleton, escalation, missing_documents, resource_kinds};
use crate::aws::authz::Authorizer;
use crate::aws::model::Account;
use crate::aws::organization::Organization;
use crate::aws::principal::PolicyBook;
use crate::graph::{Compact, Graph, NodeId, Reach};
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
    let skeleton_rows = Compact::new(graph);
    let accounts = accounts
        .iter()
        .filter_map(|account| skeleton.controls.get(account.id.as_str()))
        .map(|&control| {
            let members = skeleton_rows.out_edges(control).map(|s| s.node).collect();
            (control, members)
        })
        .collect();
    let mut search = Search {
        decider: &decider,
        skeleton: &skeleton,
        skeleton_rows,
        principal_at: skeleton
            .principals
            .iter()
            .enumerate()
            .map(|(at, &(_, node))| (node, at))
            .collect(),
        decided: vec![false; skeleton.principals.len()],
        rows: HashMap::new(),
        accounts,
        progress: Progress::spinner("deciding the principals reached"),
    };
    // First along definite edges only, deciding every principal met in full; then along
    // edges of any reach, where a principal first met now is never reached along definite
    // edges, so the definite search will not read its row, and the search over all edges
    // reads it once, when every node met so far is known: its edges into those are left out.
    search.run(start, true, graph);
    search.run(start, false, graph);
    search.progress.finish();
    Ok((start, missing))
}

/// The breadth-first searches that decide principals as they meet them.
struct Search<'s, 'a> {
    decider: &'s Decider<'a>,
    skeleton: &'s Skeleton<'a>,
    /// The skeleton's rows; the edges decided later are kept beside them, by source.
    skeleton_rows: Compact,
    principal_at: HashMap<NodeId, usize>,
    /// By principal: whether its edges are in the graph.
    decided: Vec<bool>,
    rows: HashMap<NodeId, Vec<(NodeId, Reach)>>,
    /// Each account's control node and the nodes it controls.
    accounts: Vec<(NodeId, Vec<NodeId>)>,
    progress: Progress,
}

/// What the search over all edges has met while it decides one level: the nodes of that
/// level and those before, what the level's principals decided so far reach, and the
/// accounts met in full.
pub(crate) struct Meeting<'r> {
    nodes: Vec<bool>,
    full: Vec<bool>,
    accounts: &'r [(NodeId, Vec<NodeId>)],
    /// By account: how many of its members, in order, are met (nodes once met stay met).
    met_members: Vec<usize>,
}

impl<'r> Meeting<'r> {
    fn new(nodes: Vec<bool>, accounts: &'r [(NodeId, Vec<NodeId>)]) -> Self {
        let mut meeting = Meeting {
            full: vec![false; nodes.len()],
            nodes,
            accounts,
            met_members: vec![0; accounts.len()],
        };
        meeting.mark(Vec::new());
        meeting
    }

    pub fn view(&self) -> Met<'_> {
        Met {
            nodes: &self.nodes,
            full: &self.full,
        }
    }

    /// Adds nodes met, and the accounts they complete.
    pub fn mark(&mut self, reached: Vec<NodeId>) {
        for node in reached {
            if self.nodes.len() <= node.index() {
                self.nodes.resize(node.index() + 1, false);
            }
            self.nodes[node.index()] = true;
        }
        let met = |node: &NodeId| self.nodes.get(node.index()).copied().unwrap_or(false);
        for ((control, members), counted) in self.accounts.iter().zip(&mut self.met_members) {
            *counted += members[*counted..].iter().take_while(|m| met(m)).count();
            if *counted == members.len() && met(control) {
                if self.full.len() <= control.index() {
                    self.full.resize(control.index() + 1, false);
                }
                self.full[control.index()] = true;
            }
        }
    }
}

impl Search<'_, '_> {
    /// One search from `start`, a level at a time: the level's undecided principals are
    /// decided together, on every core, then the level's rows are read for the next.
    fn run(&mut self, start: NodeId, definite_only: bool, graph: &mut Graph) {
        let mut seen = vec![false; graph.node_bound()];
        seen[start.index()] = true;
        let mut frontier = vec![start];
        while !frontier.is_empty() {
            let undecided: Vec<usize> = frontier
                .iter()
                .filter_map(|node| self.principal_at.get(node).copied())
                .filter(|&at| !self.decided[at])
                .collect();
            for &at in &undecided {
                self.decided[at] = true;
            }
            // The definite search decides in full: the search over all edges reads its
            // principals' rows after it. The latter may leave out what it has met: the nodes
            // of this level and those before, and what the level's earlier principals reach.
            let mut met = (!definite_only).then(|| Meeting::new(seen.clone(), &self.accounts));
            let rows = &mut self.rows;
            self.decider.add(
                &undecided,
                |&at| &self.skeleton.principals[at],
                graph,
                &self.progress,
                met.as_mut(),
                |from, to, reach| rows.entry(from).or_default().push((to, reach)),
            );
            seen.resize(graph.node_bound(), false);
            let mut next = Vec::new();
            for node in frontier {
                let laid = (node.index() < self.skeleton_rows.bound())
                    .then(|| {
                        self.skeleton_rows
                            .out_edges(node)
                            .map(|s| (s.node, s.reach))
                    })
                    .into_iter()
                    .flatten();
                let decided = self.rows.get(&node).into_iter().flatten().copied();
                for (target, reach) in laid.chain(decided) {
                    if definite_only && reach != Reach::Definite {
                        continue;
                    }
                    if !seen[target.index()] {
                        seen[target.index()] = true;
                        next.push(target);
                    }
                }
            }
            frontier = next;
        }
    }
}

#[cfg(test)]
mod tests {
    //! From every key, user and role of the example snapshots and of a generated
    //! organisation, the radius over the graph built for that start must equal the radius
    //! over the whole graph, byte for byte in both reports (witness paths, reach, conditions,
    //! what was missing). Chunks of three principals (see `PRINCIPALS_PER_CHUNK`) make every
    //! level of these searches span several, so that what a level's earlier chunks reach is
    //! left out of the later ones' decisions.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use crate::analysis::{Analysis, build, build_from};
    use crate::graph::{NodeId, NodeKind};
    use crate::query::radius;
    use crate::report::{RadiusSummary, json, table};
    use crate::rules::RuleSet;
    use crate::snapshot::Snapshot;
    use std::path::Path;

    fn reports(analysis: &Analysis, start: NodeId) -> (String, String) {
        let reach = radius(&analysis.graph, start);
        let summary = RadiusSummary::new(&analysis.graph, &reach, &analysis.missing);
        let mut doc = Vec::new();
        json::write_radius(&summary, &mut doc).unwrap();
        (
            String::from_utf8(doc).unwrap(),
            table::render_radius(&summary),
        )
    }

    /// Compares the two builds from every `step`-th start (keys, users, roles, in node
    /// order), and checks that there were more than `at_least` starts and that for some of
    /// them the partial graph had fewer edges (so that the test is seen to exercise what it
    /// leaves out).
    fn compare(snapshot: &Snapshot, rules: &RuleSet, step: usize, at_least: usize) {
        let full = build(snapshot, rules);
        let starts: Vec<String> = full
            .graph
            .node_ids()
            .map(|id| full.graph.node(id))
            .filter(|node| {
                node.kind == NodeKind::Credential
                    || (node.kind == NodeKind::Principal && matches!(node.class, "user" | "role"))
            })
            .map(|node| node.key.clone())
            .step_by(step)
            .collect();
        assert!(!starts.is_empty());
        let mut pruned = 0;
        for key in &starts {
            let start = full.graph.find_key(key).unwrap();
            let (part, from) = build_from(snapshot, rules, |graph| graph.find_key(key).ok_or(()))
                .unwrap_or_else(|()| panic!("{key} is on the skeleton"));
            let (full_json, full_table) = reports(&full, start);
            let (part_json, part_table) = reports(&part, from);
            assert_eq!(part_json, full_json, "JSON radius from {key}");
            assert_eq!(part_table, full_table, "table radius from {key}");
            if part.graph.edge_count() < full.graph.edge_count() {
                pruned += 1;
            }
        }
        let compared = starts.len();
        assert!(
            compared > at_least && pruned > 0,
            "{compared} starts, {pruned} with fewer edges"
        );
    }

    fn example(name: &str) -> Snapshot {
        Snapshot::open(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn an_account_is_met_in_full_once_its_control_and_every_member_are() {
        let nodes = [0, 1, 2, 3, 4].map(NodeId::from_index);
        let [control, members @ .., other] = nodes;
        let accounts = vec![(control, members.to_vec())];
        // Each of the four met last, the others one at a time in reverse order.
        for last in [control, members[0], members[1], members[2]] {
            let mut meeting = super::Meeting::new(vec![false; 5], &accounts);
            for &node in nodes[..4].iter().rev().filter(|&&n| n != last) {
                meeting.mark(vec![node]);
                assert!(!meeting.view().has_account(control), "{last:?} is not met");
            }
            meeting.mark(vec![last]);
            assert!(meeting.view().has_account(control));
            assert!(meeting.view().has(last) && !meeting.view().has(other));
        }
    }

    #[test]
    fn acme_radii_equal_the_full_graphs() {
        let snapshot = example("acme");
        compare(&snapshot, &RuleSet::builtin().unwrap(), 1, 30);
        // Without techniques, only role assumption and sessions decide the edges.
        compare(&snapshot, &RuleSet::default(), 1, 30);
    }

    #[test]
    fn acme_org_radii_equal_the_full_graphs() {
        compare(&example("acme-org"), &RuleSet::builtin().unwrap(), 1, 10);
    }

    #[test]
    fn iam_vulnerable_radii_equal_the_full_graphs() {
        // Every escalation technique of the built-in rules, one path each.
        compare(
            &example("iam-vulnerable"),
            &RuleSet::builtin().unwrap(),
            2,
            15,
        );
    }

    #[test]
    fn generated_organisation_radii_equal_the_full_graphs() {
        // Hub, CI and break-glass trusts across accounts, OIDC, SCPs, boundaries, inactive
        // keys.
        let tmp = tempfile::tempdir().unwrap();
        crate::synth::generate(crate::synth::Scale::new(4, 40, 100), 5, tmp.path()).unwrap();
        let snapshot = Snapshot::open(tmp.path()).unwrap();
        compare(&snapshot, &RuleSet::builtin().unwrap(), 5, 25);
    }
}
