//! The diagram in Graphviz's DOT language, built with graphviz-rust: nodes styled by kind, one
//! cluster per account, edges labelled by mechanism or rule, conditional edges dashed, paths to
//! administrator control in red. What to draw is decided in `audit::view`; this only styles it.
//! SVG and PNG are Graphviz's `dot` run on this text.

use crate::audit::view::{Style, View, ViewNode};
use graphviz_rust::dot_structures::{
    Attribute, Edge, EdgeTy, Graph, GraphAttributes, Id, Node, NodeId, Stmt, Subgraph, Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};
use std::collections::BTreeMap;

const RED: &str = "#c62828";
const FONT: &str = "Helvetica";

/// The DOT text of a view.
pub fn render(view: &View) -> String {
    let mut text = to_dot(view).print(&mut PrinterContext::default());
    text.push('\n');
    text
}

/// The view as a graphviz-rust graph.
pub fn to_dot(view: &View) -> Graph {
    let mut stmts: Vec<Stmt> = vec![
        GraphAttributes::Graph(vec![
            attr("rankdir", if view.wide { "LR" } else { "TB" }),
            attr("fontname", FONT),
            attr("fontsize", "12"),
            attr("labelloc", "t"),
            attr("labeljust", "l"),
            attr("nodesep", "0.25"),
            attr("ranksep", "0.55"),
            attr("newrank", "true"),
            attr("bgcolor", "white"),
            Attribute(Id::Plain("label".into()), title(view)),
        ])
        .into(),
        GraphAttributes::Node(vec![
            attr("fontname", FONT),
            attr("fontsize", "10"),
            attr("style", "filled"),
            attr("color", "#546e7a"),
            attr("margin", "0.12,0.05"),
        ])
        .into(),
        GraphAttributes::Edge(vec![
            attr("fontname", FONT),
            attr("fontsize", "9"),
            attr("color", "#607d8b"),
            attr("fontcolor", "#455a64"),
            attr("arrowsize", "0.7"),
        ])
        .into(),
    ];

    // One cluster per account, in order of first appearance; nodes of no account outside.
    let mut clusters: BTreeMap<String, Vec<Stmt>> = BTreeMap::new();
    let mut outside: Vec<Stmt> = Vec::new();
    for (i, node) in view.nodes.iter().enumerate() {
        let stmt = Stmt::Node(Node::new(node_id(i), node_attrs(node)));
        match &node.account {
            Some(account) => clusters.entry(account.clone()).or_default().push(stmt),
            None => outside.push(stmt),
        }
    }
    for (n, (account, mut members)) in clusters.into_iter().enumerate() {
        let mut body = vec![
            Stmt::Attribute(attr("label", &format!("account {account}"))),
            Stmt::Attribute(attr("style", "rounded,dashed")),
            Stmt::Attribute(attr("color", "#90a4ae")),
            Stmt::Attribute(attr("fontcolor", "#546e7a")),
            Stmt::Attribute(attr("margin", "12")),
        ];
        body.append(&mut members);
        stmts.push(Stmt::Subgraph(Subgraph {
            id: Id::Plain(format!("cluster_{n}")),
            stmts: body,
        }));
    }
    stmts.append(&mut outside);

    for e in &view.edges {
        let mut attrs = vec![attr("label", &e.label), attr("tooltip", &e.tooltip)];
        let mut styles = Vec::new();
        if e.conditional {
            styles.push("dashed");
        }
        if e.on_admin_path {
            attrs.push(attr("color", RED));
            attrs.push(attr("fontcolor", RED));
            attrs.push(attr("penwidth", "1.8"));
        }
        if !styles.is_empty() {
            attrs.push(attr("style", &styles.join(",")));
        }
        stmts.push(Stmt::Edge(Edge {
            ty: EdgeTy::Pair(Vertex::N(node_id(e.from)), Vertex::N(node_id(e.to))),
            attributes: attrs,
        }));
    }
    Graph::DiGraph {
        id: Id::Plain("blastmap".into()),
        strict: false,
        stmts,
    }
}

fn node_id(i: usize) -> NodeId {
    NodeId(Id::Plain(format!("n{i}")), None)
}

/// A quoted DOT string.
fn attr(name: &str, value: &str) -> Attribute {
    Attribute(Id::Plain(name.into()), quoted(value))
}

fn quoted(value: &str) -> Id {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    Id::Escaped(out)
}

/// Text inside an HTML-like label.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn title(view: &View) -> Id {
    let mut label = format!("<<b>{}</b>", html(&view.title));
    label.push_str(&format!(
        "<br/><font point-size=\"9\" color=\"{RED}\">red: leads to administrator control</font><font point-size=\"9\" color=\"#455a64\">    dashed: holds only under conditions the snapshot cannot decide</font>"
    ));
    for note in &view.notes {
        label.push_str(&format!(
            "<br/><font point-size=\"10\" color=\"{RED}\"><b>{}</b></font>",
            html(note)
        ));
    }
    label.push('>');
    Id::Html(label)
}

/// Shape, colours and the two-level label of a node.
fn node_attrs(node: &ViewNode) -> Vec<Attribute> {
    let (shape, fill, extra_style) = match node.style {
        Style::Credential => ("cds", "#ffe082", ""),
        Style::User => ("box", "#bbdefb", "rounded"),
        Style::Group => ("folder", "#d1c4e9", ""),
        Style::Role => ("box", "#c8e6c9", "rounded"),
        Style::Session => ("box", "#eceff1", "rounded,dashed"),
        Style::Permissions => ("note", "#fafafa", ""),
        Style::AccountControl => ("doubleoctagon", "#ef9a9a", "bold"),
        Style::Service => ("component", "#e0e0e0", ""),
        Style::IdentityProvider => ("box3d", "#ffccbc", ""),
        Style::External => ("box", "#f5f5f5", "rounded,dashed"),
        Style::Resource => ("cylinder", "#b2ebf2", ""),
        Style::Other => ("box", "#f5f5f5", ""),
    };
    let mut style = String::from("filled");
    if !extra_style.is_empty() {
        style.push(',');
        style.push_str(extra_style);
    }
    let mut label = format!("<<b>{}</b>", html(&node.label));
    if node.style == Style::Permissions {
        // A `<br align="left"/>` aligns the line before it: one after every line.
        label.push_str("<br align=\"left\"/>");
        for line in &node.detail {
            label.push_str(&format!(
                "<font point-size=\"8\" color=\"#37474f\">{}</font><br align=\"left\"/>",
                html(line)
            ));
        }
    } else {
        for line in &node.detail {
            label.push_str(&format!(
                "<br/><font point-size=\"8\" color=\"#37474f\">{}</font>",
                html(line)
            ));
        }
    }
    label.push('>');
    let mut attrs = vec![
        attr("shape", shape),
        attr("style", &style),
        attr("fillcolor", fill),
        Attribute(Id::Plain("label".into()), Id::Html(label)),
        attr("tooltip", &node.tooltip),
    ];
    if node.on_admin_path && node.style != Style::Permissions {
        attrs.push(attr("color", RED));
    }
    if node.start {
        attrs.push(attr("penwidth", "3"));
    } else if node.on_admin_path && node.style != Style::Permissions {
        attrs.push(attr("penwidth", "1.6"));
    }
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_for_dot_and_html() {
        assert_eq!(
            quoted("a \"b\" \\ c\nd"),
            Id::Escaped("\"a \\\"b\\\" \\\\ c\\nd\"".into())
        );
        assert_eq!(html("<a & b>"), "&lt;a &amp; b&gt;");
    }
}
