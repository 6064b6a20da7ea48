//! The JSON wire format, `blastmap.radius.v1`, documented in docs/json-schema.md. These types
//! are the contract with users' scripts: internal refactors must not change them.

use super::summary::RadiusSummary;
use crate::graph::{EdgeId, Graph, NodeId, RecordRef, StatementRef, Undecided};
use serde::Serialize;
use std::io::Write;

pub const RADIUS_SCHEMA: &str = "blastmap.radius.v1";

/// A radius report. `nodes` is a list of [`ReachedNode`]s: a `Vec` of them, or
/// [`StreamedNodes`] that makes each one only as it is written.
#[derive(Serialize)]
pub struct RadiusDoc<'a, Nodes = Vec<ReachedNode<'a>>> {
    pub schema: &'static str,
    pub from: NodeRef<'a>,
    pub admin: &'static str,
    pub admin_accounts: Vec<AdminAccount<'a>>,
    pub counts: CountsDoc,
    pub nodes: Nodes,
    pub missing_sources: Vec<&'a str>,
    pub missing_source_details: Vec<MissingDoc<'a>>,
}

#[derive(Serialize)]
pub struct NodeRef<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub class: &'static str,
    pub label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<&'a str>,
}

#[derive(Serialize)]
pub struct AdminAccount<'a> {
    pub account: &'a str,
    pub reach: &'static str,
}

#[derive(Serialize)]
pub struct CountsDoc {
    pub principals: usize,
    pub sessions: usize,
    pub permissions: usize,
    pub resources: usize,
    pub credentials: usize,
}

#[derive(Serialize)]
pub struct ReachedNode<'a> {
    #[serde(flatten)]
    pub node: NodeRef<'a>,
    pub reach: &'static str,
    pub hops: usize,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attrs: std::collections::BTreeMap<&'static str, &'a str>,
    pub path: Vec<PathStep<'a>>,
}

#[derive(Serialize)]
pub struct PathStep<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub edge: &'static str,
    pub reach: &'static str,
    pub mechanism: &'a str,
    pub evidence: &'a [StatementRef],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub records: &'a [RecordRef],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub undecided: &'a [Undecided],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub notes: &'a [crate::graph::Text],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_max_secs: Option<u32>,
}

#[derive(Serialize)]
pub struct MissingDoc<'a> {
    pub source: &'a str,
    pub reason: &'a str,
    pub may_hide: &'a str,
}

impl<'a> MissingDoc<'a> {
    pub fn of(missing: &'a crate::snapshot::MissingSource) -> Self {
        MissingDoc {
            source: &missing.source,
            reason: &missing.reason,
            may_hide: &missing.may_hide,
        }
    }
}

pub(crate) fn node_ref(graph: &Graph, id: NodeId) -> NodeRef<'_> {
    let n = graph.node(id);
    NodeRef {
        id: &n.key,
        kind: n.kind.as_str(),
        class: n.class,
        label: &n.label,
        account: n.account.as_deref(),
    }
}

pub(crate) fn step(graph: &Graph, edge: EdgeId) -> PathStep<'_> {
    let (from, to) = graph.endpoints(edge);
    let e = graph.edge(edge);
    PathStep {
        from: &graph.node(from).key,
        to: &graph.node(to).key,
        edge: e.kind.as_str(),
        reach: e.reach.as_str(),
        mechanism: &e.evidence.mechanism,
        evidence: &e.evidence.statements,
        records: &e.evidence.records,
        undecided: &e.evidence.undecided,
        notes: &e.evidence.notes,
        session_max_secs: e.evidence.session_max_secs,
    }
}

pub fn radius_doc<'a>(summary: &'a RadiusSummary<'a>) -> RadiusDoc<'a> {
    let nodes = summary
        .radius
        .reached
        .iter()
        .map(|r| reached_node(summary.graph, r.node, r.reach, &summary.radius.path(r)))
        .collect();
    radius_doc_with(summary, nodes)
}

/// The reached nodes of a radius as a JSON list, each turned into a [`ReachedNode`] only as
/// it is written: a radius of a wide key is a document of a hundred megabytes, and this way
/// no more than one of its nodes is held at a time.
pub struct StreamedNodes<'a> {
    summary: &'a RadiusSummary<'a>,
}

impl Serialize for StreamedNodes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let graph = self.summary.graph;
        serializer.collect_seq(
            self.summary
                .radius
                .reached
                .iter()
                .map(|r| reached_node(graph, r.node, r.reach, &self.summary.radius.path(r))),
        )
    }
}

/// A node reached from a start (radius) or reaching a target (who-can), with its witness.
fn reached_node<'a>(
    graph: &'a Graph,
    node: NodeId,
    reach: crate::graph::Reach,
    path: &[crate::graph::EdgeId],
) -> ReachedNode<'a> {
    ReachedNode {
        node: node_ref(graph, node),
        reach: reach.as_str(),
        hops: path.len(),
        attrs: graph
            .node(node)
            .attrs
            .iter()
            .map(|(k, v)| (k, v.as_str()))
            .collect(),
        path: path.iter().map(|&e| step(graph, e)).collect(),
    }
}

/// Everything of a radius report but its nodes, which are `nodes`.
fn radius_doc_with<'a, Nodes>(
    summary: &'a RadiusSummary<'a>,
    nodes: Nodes,
) -> RadiusDoc<'a, Nodes> {
    let graph = summary.graph;
    let counts = summary.counts();
    RadiusDoc {
        schema: RADIUS_SCHEMA,
        from: node_ref(graph, summary.radius.start),
        admin: summary.admin_reach().map(|r| r.as_str()).unwrap_or("none"),
        admin_accounts: summary
            .admin
            .iter()
            .map(|&(id, reach)| AdminAccount {
                account: graph.node(id).account.as_deref().unwrap_or(""),
                reach: reach.as_str(),
            })
            .collect(),
        counts: CountsDoc {
            principals: counts.principals,
            sessions: counts.sessions,
            permissions: counts.permissions,
            resources: counts.resources,
            credentials: counts.credentials,
        },
        nodes,
        missing_sources: summary.missing.iter().map(|m| m.source.as_str()).collect(),
        missing_source_details: summary.missing.iter().map(MissingDoc::of).collect(),
    }
}

/// Writes the radius report to `out` as it is encoded, through a buffer of its own, without
/// holding the document in memory. An encoding error (none is possible for these types) is
/// reported as [`std::io::ErrorKind::InvalidData`].
pub fn write_radius(summary: &RadiusSummary, out: &mut dyn Write) -> std::io::Result<()> {
    write_pretty(&radius_doc_with(summary, StreamedNodes { summary }), out)
}

/// Writes `value` as pretty JSON and a newline to `out` as it is encoded, through a buffer of
/// its own. An encoding error is reported as [`std::io::ErrorKind::InvalidData`].
pub(crate) fn write_pretty<T: Serialize + ?Sized>(
    value: &T,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| {
        if e.is_io() {
            std::io::Error::from(e)
        } else {
            std::io::Error::new(std::io::ErrorKind::InvalidData, e)
        }
    })?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The radius report as one string; [`write_radius`] writes it without holding it.
pub fn render_radius(summary: &RadiusSummary) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    write_radius(summary, &mut out).map_err(serde_json::Error::io)?;
    String::from_utf8(out).map_err(serde::ser::Error::custom)
}

pub const CAN_SCHEMA: &str = "blastmap.can.v1";

#[derive(Serialize)]
pub struct CanDoc<'a> {
    pub schema: &'static str,
    pub principal: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    pub decision: &'static str,
    pub explicit_deny: bool,
    pub allowed_by: &'a [StatementRef],
    pub denied_by: &'a [StatementRef],
    pub undecided: &'a [Undecided],
    pub steps: &'a [crate::aws::authz::Step],
}

pub fn render_can(view: &super::CanView) -> Result<String, serde_json::Error> {
    let d = view.decision;
    let doc = CanDoc {
        schema: CAN_SCHEMA,
        principal: view.principal,
        action: view.action,
        resource: view.resource,
        decision: decision_word(d.value),
        explicit_deny: d.explicit_deny,
        allowed_by: &d.allowed_by,
        denied_by: &d.denied_by,
        undecided: &d.undecided,
        steps: &d.steps,
    };
    let mut out = serde_json::to_string_pretty(&doc)?;
    out.push('\n');
    Ok(out)
}

pub fn decision_word(t: crate::aws::policy::Tri) -> &'static str {
    match t {
        crate::aws::policy::Tri::True => "allow",
        crate::aws::policy::Tri::False => "deny",
        crate::aws::policy::Tri::Unknown => "conditional",
    }
}

pub const PATH_SCHEMA: &str = "blastmap.path.v1";
pub const WHO_CAN_SCHEMA: &str = "blastmap.who-can.v1";

#[derive(Serialize)]
pub struct PathDoc<'a> {
    pub schema: &'static str,
    pub from: NodeRef<'a>,
    pub to: NodeRef<'a>,
    pub found: bool,
    pub paths: Vec<PathItem<'a>>,
}

#[derive(Serialize)]
pub struct PathItem<'a> {
    pub reach: &'static str,
    pub hops: usize,
    pub steps: Vec<PathStep<'a>>,
}

fn path_reach(graph: &Graph, path: &[EdgeId]) -> &'static str {
    if path
        .iter()
        .all(|&e| graph.edge(e).reach == crate::graph::Reach::Definite)
    {
        "definite"
    } else {
        "conditional"
    }
}

pub fn render_path(
    graph: &Graph,
    from: NodeId,
    to: NodeId,
    paths: &[Vec<EdgeId>],
) -> Result<String, serde_json::Error> {
    let doc = PathDoc {
        schema: PATH_SCHEMA,
        from: node_ref(graph, from),
        to: node_ref(graph, to),
        found: !paths.is_empty(),
        paths: paths
            .iter()
            .map(|p| PathItem {
                reach: path_reach(graph, p),
                hops: p.len(),
                steps: p.iter().map(|&e| step(graph, e)).collect(),
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc)?;
    out.push('\n');
    Ok(out)
}

#[derive(Serialize)]
pub struct WhoCanDoc<'a> {
    pub schema: &'static str,
    pub target: NodeRef<'a>,
    pub reachers: Vec<ReachedNode<'a>>,
}

pub fn render_who_can(
    graph: &Graph,
    target: NodeId,
    reachers: &[crate::query::Reacher],
) -> Result<String, serde_json::Error> {
    let doc = WhoCanDoc {
        schema: WHO_CAN_SCHEMA,
        target: node_ref(graph, target),
        reachers: reachers
            .iter()
            .map(|r| reached_node(graph, r.node, r.reach, &r.path))
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc)?;
    out.push('\n');
    Ok(out)
}

#[derive(Serialize)]
pub struct WhoCanActDoc<'a> {
    pub schema: &'static str,
    pub action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<&'a str>,
    pub principals: Vec<WhoCanActItem<'a>>,
}

#[derive(Serialize)]
pub struct WhoCanActItem<'a> {
    pub principal: &'a str,
    pub decision: &'static str,
    pub allowed_by: &'a [StatementRef],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub undecided: &'a [Undecided],
}

pub fn render_who_can_act(
    action: &str,
    resource: Option<&str>,
    found: &[(String, crate::aws::authz::Decision)],
) -> Result<String, serde_json::Error> {
    let doc = WhoCanActDoc {
        schema: WHO_CAN_SCHEMA,
        action,
        resource,
        principals: found
            .iter()
            .map(|(arn, d)| WhoCanActItem {
                principal: arn,
                decision: decision_word(d.value),
                allowed_by: &d.allowed_by,
                undecided: &d.undecided,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc)?;
    out.push('\n');
    Ok(out)
}

pub const RANKING_SCHEMA: &str = "blastmap.radius-summary.v1";

#[derive(Serialize)]
pub struct RankingDoc<'a> {
    pub schema: &'static str,
    pub starts: Vec<RankedStart<'a>>,
}

#[derive(Serialize)]
pub struct RankedStart<'a> {
    #[serde(flatten)]
    pub node: NodeRef<'a>,
    pub admin: &'static str,
    pub admin_accounts: Vec<AdminAccount<'a>>,
    pub counts: CountsDoc,
}

pub fn render_ranking(
    graph: &Graph,
    summaries: &[crate::query::Summary],
) -> Result<String, serde_json::Error> {
    let doc = RankingDoc {
        schema: RANKING_SCHEMA,
        starts: summaries
            .iter()
            .map(|s| RankedStart {
                node: node_ref(graph, s.start),
                admin: s.admin_reach().map(|r| r.as_str()).unwrap_or("none"),
                admin_accounts: s
                    .admin
                    .iter()
                    .map(|&(id, reach)| AdminAccount {
                        account: graph.node(id).account.as_deref().unwrap_or(""),
                        reach: reach.as_str(),
                    })
                    .collect(),
                counts: CountsDoc {
                    principals: s.principals,
                    sessions: s.sessions,
                    permissions: s.permissions,
                    resources: s.resources,
                    credentials: s.credentials,
                },
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc)?;
    out.push('\n');
    Ok(out)
}
