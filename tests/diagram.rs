//! `blastmap diagram` end to end: the DOT parses (graphviz-rust's parser, and Graphviz's `dot`
//! where it is installed), SVG is well-formed XML, styles follow kinds and reach, the node cap
//! shows, and a missing `dot` names the package to install.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn diagram(snapshot: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "diagram".into(),
        "-s".into(),
        snapshot.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run(args)
}

fn dot_text(snapshot: &Path, extra: &[&str]) -> String {
    let r = diagram(snapshot, extra);
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    r.stdout
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Whether Graphviz's `dot` is installed. CI installs it and sets BLASTMAP_REQUIRE_DOT, so
/// that there the tests that need it fail instead of skipping.
fn have_dot() -> bool {
    let found = Command::new("dot").arg("-V").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("BLASTMAP_REQUIRE_DOT").is_none(),
            "BLASTMAP_REQUIRE_DOT is set but `dot` is not installed (apt-get install graphviz)"
        );
        eprintln!("skipped: Graphviz's `dot` is not installed");
    }
    found
}

/// Every scope a diagram has, on each example.
fn all_diagrams() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, from) in [
        ("acme", LEAKED_KEY),
        ("acme-org", "AKIAEXAMPLEGHRUNNER1"),
        ("iam-vulnerable", "AKIAEXAMPLEIAMV00001"),
    ] {
        let snap = examples().join(name);
        out.push((format!("{name} overview"), dot_text(&snap, &[])));
        out.push((format!("{name} radius"), dot_text(&snap, &["--from", from])));
        out.push((
            format!("{name} over-privileged"),
            dot_text(&snap, &["--over-privileged"]),
        ));
        out.push((
            format!("{name} radius over-privileged"),
            dot_text(&snap, &["--from", from, "--over-privileged"]),
        ));
    }
    out
}

#[test]
fn acme_radius_dot() {
    let dot = dot_text(&acme(), &["--from", LEAKED_KEY]);
    insta::assert_snapshot!("acme_radius_dot", dot);
}

#[test]
fn dot_parses_with_graphviz_rust() {
    for (name, dot) in all_diagrams() {
        if let Err(e) = graphviz_rust::parse(&dot) {
            panic!("{name}: {e}\n{dot}");
        }
    }
}

#[test]
fn graphviz_accepts_the_dot() {
    if !have_dot() {
        return;
    }
    for (name, dot) in all_diagrams() {
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), dot.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {stderr}");
        assert!(stderr.trim().is_empty(), "{name} warns: {stderr}");
    }
}

#[test]
fn svg_is_well_formed_xml() {
    if !have_dot() {
        return;
    }
    let r = diagram(&acme(), &["--from", LEAKED_KEY, "--format", "svg"]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    // Graphviz writes a DOCTYPE: allow it, and nothing else that is not well-formed.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&r.stdout, options).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&LEAKED_KEY), "the key is drawn");
    assert!(texts.contains(&"ADMIN"));
    // Edges toward admin are red; conditional ones dashed.
    assert!(r.stdout.contains("#c62828"));
    assert!(r.stdout.contains("stroke-dasharray"));
}

#[test]
fn png_is_written_to_a_file() {
    if !have_dot() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("acme.png");
    let r = diagram(
        &acme(),
        &[
            "--over-privileged",
            "--format",
            "png",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(r.stdout.is_empty());
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn missing_dot_names_the_debian_package() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_blastmap"))
        .args(["diagram", "-s"])
        .arg(acme())
        .args(["--format", "svg"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Debian package `graphviz`"), "{stderr}");
    assert!(stderr.contains("--format dot"), "{stderr}");
    assert!(out.stdout.is_empty());
    // DOT itself needs no Graphviz.
    let out = Command::new(env!("CARGO_BIN_EXE_blastmap"))
        .args(["diagram", "-s"])
        .arg(acme())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn nodes_are_styled_by_kind_and_clustered_by_account() {
    let dot = dot_text(&acme(), &["--from", LEAKED_KEY]);
    let line = |needle: &str| -> String {
        dot.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle}"))
            .to_string()
    };
    assert!(line("<b>AKIAIOSFODNN7EXAMPLE</b>").contains("shape=\"cds\""));
    assert!(line("<b>user/ci-deployer</b>").contains("fillcolor=\"#bbdefb\""));
    assert!(line("<b>role/ci-build</b>").contains("fillcolor=\"#c8e6c9\""));
    assert!(line("<b>group/ci</b>").contains("shape=\"folder\""));
    assert!(line("<b>session token of user/ci-deployer</b>").contains("dashed"));
    assert!(line("<b>permissions (").contains("shape=\"note\""));
    let admin = line("<b>ADMIN</b>");
    assert!(admin.contains("doubleoctagon"));
    assert!(
        admin.contains("37 principals reached through it"),
        "{admin}"
    );
    // Role sessions are folded into their role.
    assert!(!dot.contains("<b>session of role/"));
    // The conditional hop to artifact-signer is dashed, the hops to admin red.
    assert!(line("label=\"assumes\"").contains("->"));
    assert!(
        dot.lines()
            .any(|l| l.contains("label=\"administers\"") && l.contains("#c62828"))
    );
    assert!(
        dot.lines()
            .any(|l| l.contains("label=\"assumes\"") && l.contains("dashed"))
    );

    let org = dot_text(&examples().join("acme-org"), &[]);
    for account in ["111122223333", "444455556666", "999900001111"] {
        assert!(
            org.contains(&format!("label=\"account {account}\"")),
            "{account}"
        );
    }
    assert_eq!(org.matches("subgraph cluster_").count(), 3);
}

#[test]
fn escalation_edges_are_labelled_by_rule() {
    let dot = dot_text(
        &examples().join("acme-org"),
        &["--from", "AKIAEXAMPLEGHRUNNER1"],
    );
    assert!(
        dot.lines()
            .any(|l| l.contains("->") && l.contains("label=\"aws.iam.")),
        "{dot}"
    );
}

#[test]
fn the_node_cap_is_announced_on_the_picture() {
    let dot = dot_text(&examples().join("iam-vulnerable"), &[]);
    assert!(dot.contains("Showing 60 of "), "default cap");
    let small = dot_text(&acme(), &["--from", LEAKED_KEY, "--max-nodes", "5"]);
    let nodes = small
        .lines()
        .filter(|l| l.trim_start().starts_with('n') && l.contains("[shape="))
        .count();
    assert_eq!(nodes, 5);
    assert!(small.contains("Showing 5 of "), "{small}");
    let r = diagram(&acme(), &["--max-nodes", "0"]);
    assert_eq!(r.code, Some(2));
}

#[test]
fn unknown_from_is_bad_input() {
    let r = diagram(&acme(), &["--from", "ci-deploy"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("did you mean"), "{}", r.stderr);
}
