//! Lowering semantics on small hand-built accounts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::lower;
use crate::aws::inventory::{Gaad, KeyStatus};
use crate::aws::load::{SourceFile, account_from_gaad};
use crate::aws::model::{AccessKey, Account, Role, User};
use crate::aws::policy::{Policy, PolicySource};
use crate::graph::{EdgeKind, EdgeView, Graph, NodeKind, Reach};
use crate::query::radius;
use crate::snapshot::MissingSource;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

const A: &str = "111122223333";
const B: &str = "444455556666";
const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

// ---------------------------------------------------------------------------------------------
// Building accounts

fn gaad_file(account: &str) -> String {
    format!("aws/{account}/gaad.json")
}

fn user_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user/{name}")
}

fn role_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{name}")
}

fn root(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

fn session(account: &str, role: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role}/*")
}

fn control(account: &str) -> String {
    format!("aws:account:{account}")
}

fn parse(account: &str, pointer: String, name: &str, document: &Value) -> Policy {
    let source = PolicySource {
        file: Arc::from(gaad_file(account).as_str()),
        pointer,
        name: name.to_string(),
    };
    Policy::parse(source, document).unwrap_or_else(|e| panic!("test policy {name}: {e}"))
}

/// A document of the given statements.
fn statements(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn deny(action: &str, resource: &str) -> Value {
    json!({"Effect": "Deny", "Action": action, "Resource": resource})
}

fn allow_doc(action: &str, resource: &str) -> Value {
    statements(vec![allow(action, resource)])
}

/// A trust policy letting the given `AWS` principals call sts:AssumeRole.
fn trust_aws(principals: &[&str]) -> Value {
    statements(vec![json!({
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": "sts:AssumeRole"
    })])
}

fn trust_with_condition(principals: &[&str], condition: Value) -> Value {
    statements(vec![json!({
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": "sts:AssumeRole",
        "Condition": condition
    })])
}

fn account(id: &str) -> Account {
    Account {
        id: id.to_string(),
        gaad_file: gaad_file(id),
        ..Account::default()
    }
}

fn add_user<'a>(account: &'a mut Account, name: &str, inline: &[Value]) -> &'a mut User {
    let i = account.users.len();
    let pointer = format!("/UserDetailList/{i}");
    let arn = user_arn(&account.id, name);
    let inline = inline
        .iter()
        .enumerate()
        .map(|(j, d)| {
            parse(
                &account.id,
                format!("{pointer}/UserPolicyList/{j}/PolicyDocument"),
                &format!("{arn} inline P{j}"),
                d,
            )
        })
        .collect();
    account.users.push(User {
        pointer,
        name: name.to_string(),
        id: format!("AIDA{}", name.to_uppercase().replace(['-', '.'], "")),
        arn,
        inline,
        groups: Vec::new(),
        attached: Vec::new(),
        boundary: None,
        tags: Vec::new(),
        created: None,
    });
    account.users.last_mut().unwrap()
}

fn add_role<'a>(
    account: &'a mut Account,
    name: &str,
    trust: Value,
    inline: &[Value],
) -> &'a mut Role {
    add_role_at(account, "/", name, trust, inline)
}

fn add_role_at<'a>(
    account: &'a mut Account,
    path: &str,
    name: &str,
    trust: Value,
    inline: &[Value],
) -> &'a mut Role {
    let i = account.roles.len();
    let pointer = format!("/RoleDetailList/{i}");
    let arn = format!("arn:aws:iam::{}:role{path}{name}", account.id);
    let inline = inline
        .iter()
        .enumerate()
        .map(|(j, d)| {
            parse(
                &account.id,
                format!("{pointer}/RolePolicyList/{j}/PolicyDocument"),
                &format!("{arn} inline P{j}"),
                d,
            )
        })
        .collect();
    let trust = parse(
        &account.id,
        format!("{pointer}/AssumeRolePolicyDocument"),
        &format!("trust policy of {arn}"),
        &trust,
    );
    account.roles.push(Role {
        pointer,
        name: name.to_string(),
        id: format!("AROA{}", name.to_uppercase().replace(['-', '.', '/'], "")),
        arn,
        path: path.to_string(),
        inline,
        attached: Vec::new(),
        boundary: None,
        tags: Vec::new(),
        trust: Some(trust),
        max_session_duration: None,
        instance_profiles: Vec::new(),
    });
    account.roles.last_mut().unwrap()
}

fn add_managed(account: &mut Account, arn: &str, document: Value) {
    let i = account.managed.len();
    let policy = parse(
        &account.id,
        format!("/Policies/{i}/PolicyVersionList/0/Document"),
        arn,
        &document,
    );
    account.managed.insert(arn.to_string(), policy);
}

fn add_key(account: &mut Account, id: &str, user: &str, status: KeyStatus) {
    let i = account.keys.len();
    account.keys.push(AccessKey {
        id: id.to_string(),
        pointer: format!("/AccessKeyMetadata/{i}"),
        user: user.to_string(),
        status,
        created: None,
        last_used: None,
    });
    account.has_access_keys = true;
}

fn build(accounts: &[Account]) -> (Graph, Vec<MissingSource>) {
    let accounts: Vec<std::sync::Arc<Account>> =
        accounts.iter().cloned().map(std::sync::Arc::new).collect();
    let mut graph = Graph::new();
    let missing = lower(&accounts, None, &[], &mut graph);
    (graph, missing)
}

// ---------------------------------------------------------------------------------------------
// Inspecting the graph

/// Every edge of `kind` from the node keyed `from` to the node keyed `to`.
fn edges_between<'g>(g: &'g Graph, from: &str, to: &str, kind: EdgeKind) -> Vec<EdgeView<'g>> {
    let from = g
        .find_key(from)
        .unwrap_or_else(|| panic!("no node keyed `{from}`"));
    let Some(to) = g.find_key(to) else {
        return Vec::new();
    };
    g.out_edges(from)
        .filter(|&(_, t)| t == to)
        .map(|(e, _)| g.edge(e))
        .filter(|e| e.kind == kind)
        .collect()
}

/// The single edge of `kind` between two nodes, if any.
fn edge<'g>(g: &'g Graph, from: &str, to: &str, kind: EdgeKind) -> Option<EdgeView<'g>> {
    let found = edges_between(g, from, to, kind);
    assert!(
        found.len() <= 1,
        "more than one {kind:?} edge {from} -> {to}: {found:#?}"
    );
    found.into_iter().next()
}

/// The `assumes` edge from the principal keyed `from` into the session of `role` in `account`.
fn assumes<'g>(g: &'g Graph, from: &str, account: &str, role: &str) -> Option<EdgeView<'g>> {
    edge(g, from, &session(account, role), EdgeKind::Assumes)
}

fn undecided_keys<'g>(e: EdgeView<'g>) -> Vec<&'g str> {
    e.evidence
        .undecided
        .iter()
        .map(|u| u.key.as_str())
        .collect()
}

fn targets_of(g: &Graph, from: &str, kind: EdgeKind) -> BTreeSet<String> {
    let from = g.find_key(from).unwrap();
    g.out_edges(from)
        .filter(|&(e, _)| g.edge(e).kind == kind)
        .map(|(_, t)| g.node(t).key.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Role assumption within one account

#[test]
fn trust_naming_the_user_arn_lets_the_user_assume_without_identity_allow() {
    let mut a = account(A);
    add_user(&mut a, "alice", &[]);
    add_role(&mut a, "target", trust_aws(&[&user_arn(A, "alice")]), &[]);
    let (g, _) = build(&[a]);

    let e = assumes(&g, &user_arn(A, "alice"), A, "target")
        .expect("a trust naming the user is enough within the account");
    assert_eq!(e.reach, Reach::Definite);
    assert!(e.evidence.undecided.is_empty());
    assert!(
        e.evidence.mechanism.contains("names the user"),
        "{}",
        e.evidence.mechanism
    );
    // The trust statement is the evidence.
    assert_eq!(e.evidence.statements.len(), 1);
    assert_eq!(
        &*e.evidence.statements[0].pointer,
        "/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0"
    );
    assert_eq!(*e.evidence.statements[0].file, *gaad_file(A));
}

#[test]
fn trust_naming_the_account_root_needs_an_identity_allow() {
    let mut a = account(A);
    add_user(&mut a, "no-allow", &[]);
    add_user(
        &mut a,
        "with-allow",
        &[allow_doc("sts:AssumeRole", &role_arn(A, "target"))],
    );
    add_user(
        &mut a,
        "other-allow",
        &[allow_doc("sts:AssumeRole", &role_arn(A, "elsewhere"))],
    );
    add_role(&mut a, "target", trust_aws(&[&root(A)]), &[]);
    let (g, _) = build(&[a]);

    assert!(
        assumes(&g, &user_arn(A, "no-allow"), A, "target").is_none(),
        "a trust naming the account delegates to identity policies: none allow it"
    );
    assert!(assumes(&g, &user_arn(A, "other-allow"), A, "target").is_none());
    let e =
        assumes(&g, &user_arn(A, "with-allow"), A, "target").expect("trust root + identity allow");
    assert_eq!(e.reach, Reach::Definite);
    assert!(
        e.evidence.mechanism.contains("trusts account"),
        "{}",
        e.evidence.mechanism
    );
    let pointers: Vec<&str> = e.evidence.statements.iter().map(|s| &*s.pointer).collect();
    assert!(
        pointers.contains(&"/UserDetailList/1/UserPolicyList/0/PolicyDocument/Statement/0"),
        "the identity allow is evidence: {pointers:?}"
    );
}

#[test]
fn trust_naming_the_bare_account_id_counts_as_the_account() {
    let mut a = account(A);
    add_user(&mut a, "no-allow", &[]);
    add_user(&mut a, "with-allow", &[allow_doc("sts:AssumeRole", "*")]);
    add_role(&mut a, "target", trust_aws(&[A]), &[]);
    let (g, _) = build(&[a]);
    assert!(assumes(&g, &user_arn(A, "no-allow"), A, "target").is_none());
    assert!(assumes(&g, &user_arn(A, "with-allow"), A, "target").is_some());
}

#[test]
fn explicit_identity_deny_removes_the_edge() {
    let mut a = account(A);
    // Named directly by the trust: no allow needed, but a deny still wins.
    add_user(
        &mut a,
        "direct",
        &[statements(vec![deny(
            "sts:AssumeRole",
            &role_arn(A, "t-*"),
        )])],
    );
    add_user(
        &mut a,
        "via-root",
        &[statements(vec![
            allow("sts:AssumeRole", "*"),
            deny("sts:AssumeRole", &role_arn(A, "t-root")),
        ])],
    );
    add_role(
        &mut a,
        "t-direct",
        trust_aws(&[&user_arn(A, "direct")]),
        &[],
    );
    add_role(&mut a, "t-root", trust_aws(&[&root(A)]), &[]);
    add_role(&mut a, "other", trust_aws(&[&root(A)]), &[]);
    let (g, _) = build(&[a]);

    assert!(assumes(&g, &user_arn(A, "direct"), A, "t-direct").is_none());
    assert!(assumes(&g, &user_arn(A, "via-root"), A, "t-root").is_none());
    // The deny is specific: other roles stay reachable.
    assert_eq!(
        assumes(&g, &user_arn(A, "via-root"), A, "other").map(|e| e.reach),
        Some(Reach::Definite)
    );
}

#[test]
fn deny_through_a_group_removes_the_edge() {
    let mut a = account(A);
    add_user(&mut a, "member", &[allow_doc("sts:AssumeRole", "*")]);
    a.users[0].groups.push("ci".into());
    a.groups.push(crate::aws::model::Group {
        pointer: "/GroupDetailList/0".into(),
        name: "ci".into(),
        id: "AGPACI".into(),
        arn: format!("arn:aws:iam::{A}:group/ci"),
        inline: vec![parse(
            A,
            "/GroupDetailList/0/GroupPolicyList/0/PolicyDocument".into(),
            "ci inline deny",
            &statements(vec![deny("sts:AssumeRole", &role_arn(A, "prod-*"))]),
        )],
        attached: Vec::new(),
    });
    add_role(&mut a, "prod-admin", trust_aws(&[&root(A)]), &[]);
    add_role(&mut a, "dev", trust_aws(&[&root(A)]), &[]);
    let (g, _) = build(&[a]);
    assert!(assumes(&g, &user_arn(A, "member"), A, "prod-admin").is_none());
    assert!(assumes(&g, &user_arn(A, "member"), A, "dev").is_some());
    assert!(
        edge(
            &g,
            &user_arn(A, "member"),
            &format!("arn:aws:iam::{A}:group/ci"),
            EdgeKind::MemberOf
        )
        .is_some()
    );
}

#[test]
fn deny_with_an_undecidable_condition_keeps_a_conditional_edge() {
    let mut a = account(A);
    add_user(
        &mut a,
        "alice",
        &[statements(vec![
            allow("sts:AssumeRole", "*"),
            json!({
                "Effect": "Deny",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}
            }),
        ])],
    );
    add_role(&mut a, "target", trust_aws(&[&root(A)]), &[]);
    let (g, _) = build(&[a]);

    let e = assumes(&g, &user_arn(A, "alice"), A, "target")
        .expect("a deny that may not apply does not remove the edge");
    assert_eq!(e.reach, Reach::Conditional);
    assert!(
        undecided_keys(e).contains(&"aws:SourceIp"),
        "{:?}",
        e.evidence.undecided
    );
    assert!(
        e.evidence
            .statements
            .iter()
            .any(|s| s.effect == "deny" && s.pointer.ends_with("/Statement/1")),
        "the undecided deny is part of the evidence: {:?}",
        e.evidence.statements
    );
    assert!(
        e.evidence.notes.iter().any(|n| n.contains("deny")),
        "{:?}",
        e.evidence.notes
    );
}

#[test]
fn deny_whose_condition_is_false_for_a_key_does_not_remove_the_edge() {
    // The common MFA guard: deny when MFA is absent... is TRUE for a long-term key, so it
    // removes the edge; a deny only when MFA is present never applies to a key.
    let mut a = account(A);
    add_user(
        &mut a,
        "guarded",
        &[statements(vec![
            allow("sts:AssumeRole", "*"),
            json!({"Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}),
        ])],
    );
    add_user(
        &mut a,
        "odd",
        &[statements(vec![
            allow("sts:AssumeRole", "*"),
            json!({"Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
        ])],
    );
    add_role(&mut a, "target", trust_aws(&[&root(A)]), &[]);
    let (g, _) = build(&[a]);
    assert!(assumes(&g, &user_arn(A, "guarded"), A, "target").is_none());
    assert_eq!(
        assumes(&g, &user_arn(A, "odd"), A, "target").map(|e| e.reach),
        Some(Reach::Definite)
    );
}

// ---------------------------------------------------------------------------------------------
// Permission boundaries

fn boundary_account() -> Account {
    let mut a = account(A);
    let s3_only = format!("arn:aws:iam::{A}:policy/S3Only");
    let with_assume = format!("arn:aws:iam::{A}:policy/WithAssume");
    add_managed(&mut a, &s3_only, allow_doc("s3:*", "*"));
    add_managed(
        &mut a,
        &with_assume,
        statements(vec![allow("s3:*", "*"), allow("sts:AssumeRole", "*")]),
    );
    a
}

#[test]
fn role_named_in_a_trust_is_still_limited_by_its_boundary() {
    let mut a = boundary_account();
    let s3_only = format!("arn:aws:iam::{A}:policy/S3Only");
    let with_assume = format!("arn:aws:iam::{A}:policy/WithAssume");
    add_role(&mut a, "narrow", trust_aws(&[&root(A)]), &[]).boundary = Some(s3_only);
    add_role(&mut a, "wide", trust_aws(&[&root(A)]), &[]).boundary = Some(with_assume);
    add_role(&mut a, "plain", trust_aws(&[&root(A)]), &[]);
    let callers = [
        role_arn(A, "narrow"),
        role_arn(A, "wide"),
        role_arn(A, "plain"),
    ];
    add_role(
        &mut a,
        "target",
        trust_aws(&callers.iter().map(String::as_str).collect::<Vec<_>>()),
        &[],
    );
    let (g, _) = build(&[a]);

    assert!(
        assumes(&g, &role_arn(A, "narrow"), A, "target").is_none(),
        "the boundary of a role does not allow sts:AssumeRole: no edge even though the trust names the role"
    );
    let wide = assumes(&g, &role_arn(A, "wide"), A, "target").expect("boundary allows it");
    assert_eq!(wide.reach, Reach::Definite);
    assert!(
        wide.evidence
            .statements
            .iter()
            .any(|s| s.policy.ends_with("policy/WithAssume")),
        "the boundary statement is evidence: {:?}",
        wide.evidence.statements
    );
    assert_eq!(
        assumes(&g, &role_arn(A, "plain"), A, "target").map(|e| e.reach),
        Some(Reach::Definite),
        "a role named directly needs no identity allow"
    );
}

#[test]
fn role_boundary_also_applies_when_the_trust_names_the_account() {
    let mut a = boundary_account();
    let s3_only = format!("arn:aws:iam::{A}:policy/S3Only");
    add_role(
        &mut a,
        "caller",
        trust_aws(&[&root(A)]),
        &[allow_doc("sts:AssumeRole", "*")],
    )
    .boundary = Some(s3_only);
    add_role(&mut a, "target", trust_aws(&[&root(A)]), &[]);
    let (g, _) = build(&[a]);
    assert!(assumes(&g, &role_arn(A, "caller"), A, "target").is_none());
}

#[test]
fn user_named_in_a_trust_is_not_limited_by_its_boundary() {
    let mut a = boundary_account();
    let s3_only = format!("arn:aws:iam::{A}:policy/S3Only");
    add_user(&mut a, "bounded", &[]).boundary = Some(s3_only.clone());
    add_user(&mut a, "bounded-root", &[allow_doc("sts:AssumeRole", "*")]).boundary = Some(s3_only);
    add_role(&mut a, "target", trust_aws(&[&user_arn(A, "bounded")]), &[]);
    add_role(&mut a, "via-root", trust_aws(&[&root(A)]), &[]);
    let (g, _) = build(&[a]);

    assert_eq!(
        assumes(&g, &user_arn(A, "bounded"), A, "target").map(|e| e.reach),
        Some(Reach::Definite),
        "a trust naming the user directly is not limited by the user's boundary"
    );
    assert!(
        assumes(&g, &user_arn(A, "bounded-root"), A, "via-root").is_none(),
        "through the account, the boundary applies to a user too"
    );
}

// ---------------------------------------------------------------------------------------------
// Across accounts

#[test]
fn cross_account_assumption_needs_both_trust_and_identity() {
    let mut a = account(A);
    add_user(&mut a, "none", &[]);
    add_user(
        &mut a,
        "allowed",
        &[allow_doc(
            "sts:AssumeRole",
            &format!("arn:aws:iam::{B}:role/*"),
        )],
    );
    add_user(&mut a, "named", &[]);
    add_user(
        &mut a,
        "named-allowed",
        &[allow_doc("sts:AssumeRole", &role_arn(B, "named-trust"))],
    );
    let mut b = account(B);
    add_role(&mut b, "trusts-a", trust_aws(&[&root(A)]), &[]);
    add_role(
        &mut b,
        "named-trust",
        trust_aws(&[&user_arn(A, "named"), &user_arn(A, "named-allowed")]),
        &[],
    );
    add_role(&mut b, "trusts-b-only", trust_aws(&[&root(B)]), &[]);
    let (g, _) = build(&[a, b]);

    assert!(
        assumes(&g, &user_arn(A, "none"), B, "trusts-a").is_none(),
        "trust alone is not enough across accounts"
    );
    let e = assumes(&g, &user_arn(A, "allowed"), B, "trusts-a").expect("trust + identity");
    assert_eq!(e.reach, Reach::Definite);
    assert!(
        e.evidence.mechanism.contains("across accounts"),
        "{}",
        e.evidence.mechanism
    );
    assert!(
        assumes(&g, &user_arn(A, "allowed"), B, "trusts-b-only").is_none(),
        "identity alone is not enough: the trust does not name account A"
    );
    assert!(
        assumes(&g, &user_arn(A, "named"), B, "named-trust").is_none(),
        "a trust naming a user of another account still needs the user's identity allow"
    );
    assert!(assumes(&g, &user_arn(A, "named-allowed"), B, "named-trust").is_some());
    // Account B is in the snapshot: no placeholder for roles outside it.
    assert!(
        g.find_key(&format!("aws:external-role:arn:aws:iam::{B}:role/*"))
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// Conditions in trust policies

#[test]
fn external_id_in_the_trust_gives_a_conditional_edge() {
    let mut a = account(A);
    add_user(&mut a, "alice", &[]);
    add_role(
        &mut a,
        "signer",
        trust_with_condition(
            &[&user_arn(A, "alice")],
            json!({"StringEquals": {"sts:ExternalId": "acme-ci-7781"}}),
        ),
        &[],
    );
    let (g, _) = build(&[a]);
    let e = assumes(&g, &user_arn(A, "alice"), A, "signer").expect("kept as conditional");
    assert_eq!(e.reach, Reach::Conditional);
    assert_eq!(undecided_keys(e), vec!["sts:ExternalId"]);
}

#[test]
fn mfa_required_by_the_trust_is_never_met_by_a_key_or_a_role() {
    let mfa = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
    let mut a = account(A);
    add_user(&mut a, "alice", &[allow_doc("sts:AssumeRole", "*")]);
    add_role(
        &mut a,
        "chainer",
        trust_aws(&[&root(A)]),
        &[allow_doc("sts:AssumeRole", "*")],
    );
    add_role(
        &mut a,
        "breakglass",
        trust_with_condition(&[&root(A)], mfa.clone()),
        &[],
    );
    add_role(
        &mut a,
        "breakglass-named",
        trust_with_condition(&[&user_arn(A, "alice"), &role_arn(A, "chainer")], mfa),
        &[],
    );
    let (g, _) = build(&[a]);

    for from in [user_arn(A, "alice"), role_arn(A, "chainer")] {
        for target in ["breakglass", "breakglass-named"] {
            assert!(
                assumes(&g, &from, A, target).is_none(),
                "{from} must not assume {target}: no MFA with a leaked key"
            );
        }
    }
    // Sanity: without the MFA condition the chainer role does assume.
    assert!(assumes(&g, &user_arn(A, "alice"), A, "chainer").is_some());
}

// ---------------------------------------------------------------------------------------------
// Services and service-linked roles

#[test]
fn service_principal_trust_gives_a_service_node_and_no_user_edge() {
    let mut a = account(A);
    add_user(&mut a, "alice", &[allow_doc("sts:AssumeRole", "*")]);
    add_role(
        &mut a,
        "instance",
        statements(vec![json!({
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"
        })]),
        &[],
    );
    let (g, _) = build(&[a]);

    assert!(assumes(&g, &user_arn(A, "alice"), A, "instance").is_none());
    let service = g
        .find_key("aws:service:ec2.amazonaws.com")
        .expect("a node stands for the service");
    assert_eq!(g.node(service).kind, NodeKind::Principal);
    assert_eq!(g.node(service).class, "service");
    let e = assumes(&g, "aws:service:ec2.amazonaws.com", A, "instance")
        .expect("the service assumes the role");
    assert_eq!(e.reach, Reach::Definite);
    // The only way into the session is the service.
    let session_node = g.find_key(&session(A, "instance")).unwrap();
    let sources: Vec<String> = g
        .in_edges(session_node)
        .map(|(_, s)| g.node(s).key.clone())
        .collect();
    assert_eq!(sources, vec!["aws:service:ec2.amazonaws.com".to_string()]);
}

#[test]
fn service_linked_role_is_never_assumable() {
    let mut a = account(A);
    add_user(&mut a, "alice", &[allow_doc("*", "*")]);
    add_managed(&mut a, ADMIN_POLICY, allow_doc("*", "*"));
    add_role(&mut a, "admin", trust_aws(&[&root(A)]), &[])
        .attached
        .push(ADMIN_POLICY.into());
    // Even a trust that names the user and the account does not make it assumable.
    add_role_at(
        &mut a,
        "/aws-service-role/support.amazonaws.com/",
        "AWSServiceRoleForSupport",
        statements(vec![
            json!({"Effect": "Allow", "Principal": {"Service": "support.amazonaws.com"}, "Action": "sts:AssumeRole"}),
            json!({"Effect": "Allow", "Principal": {"AWS": [user_arn(A, "alice"), root(A)]}, "Action": "sts:AssumeRole"}),
        ]),
        &[],
    );
    let (g, _) = build(&[a]);
    let slr_session = session(A, "AWSServiceRoleForSupport");
    for from in [user_arn(A, "alice"), role_arn(A, "admin")] {
        assert!(
            edge(&g, &from, &slr_session, EdgeKind::Assumes).is_none(),
            "{from} assumes a service-linked role"
        );
    }
    let slr = format!(
        "arn:aws:iam::{A}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
    );
    assert!(
        !targets_of(&g, &control(A), EdgeKind::Controls).contains(&slr),
        "account control does not reach a service-linked role either"
    );
    assert_eq!(
        g.find_key(&slr)
            .map(|n| g.node(n).attrs.get("service_linked").cloned()),
        Some(Some("true".to_string()))
    );
}

// ---------------------------------------------------------------------------------------------
// Sessions and credentials

#[test]
fn role_chaining_edge_notes_the_one_hour_cap() {
    let mut a = account(A);
    add_user(&mut a, "alice", &[allow_doc("sts:AssumeRole", "*")]);
    add_role(
        &mut a,
        "first",
        trust_aws(&[&root(A)]),
        &[allow_doc("sts:AssumeRole", &role_arn(A, "second"))],
    )
    .max_session_duration = Some(4 * 3600);
    add_role(&mut a, "second", trust_aws(&[&role_arn(A, "first")]), &[]).max_session_duration =
        Some(8 * 3600);
    let (g, _) = build(&[a]);

    let chained = assumes(&g, &role_arn(A, "first"), A, "second").expect("role chain");
    assert!(
        chained
            .evidence
            .notes
            .iter()
            .any(|n| n.contains("role chaining") && n.contains("1 h")),
        "{:?}",
        chained.evidence.notes
    );
    let direct = assumes(&g, &user_arn(A, "alice"), A, "first").expect("user assumes");
    assert!(
        direct
            .evidence
            .notes
            .iter()
            .all(|n| !n.contains("role chaining")),
        "{:?}",
        direct.evidence.notes
    );
    assert!(
        direct.evidence.notes.iter().any(|n| n.contains("4 h")),
        "a user's session lasts up to MaxSessionDuration: {:?}",
        direct.evidence.notes
    );
}

#[test]
fn inactive_access_key_authenticates_conditionally() {
    let mut a = account(A);
    add_user(&mut a, "dave", &[]);
    add_key(&mut a, "AKIAEXAMPLEACTIVE001", "dave", KeyStatus::Active);
    add_key(&mut a, "AKIAEXAMPLEINACTIVE1", "dave", KeyStatus::Inactive);
    let (g, missing) = build(&[a]);
    assert!(missing.is_empty(), "{missing:?}");

    let active = edge(
        &g,
        "AKIAEXAMPLEACTIVE001",
        &user_arn(A, "dave"),
        EdgeKind::AuthenticatesAs,
    )
    .expect("active key");
    assert_eq!(active.reach, Reach::Definite);
    let inactive = edge(
        &g,
        "AKIAEXAMPLEINACTIVE1",
        &user_arn(A, "dave"),
        EdgeKind::AuthenticatesAs,
    )
    .expect("an inactive key keeps its edge");
    assert_eq!(inactive.reach, Reach::Conditional);
    assert_eq!(undecided_keys(inactive), vec!["key status"]);
    let key = g.find_key("AKIAEXAMPLEINACTIVE1").unwrap();
    assert_eq!(
        g.node(key).attrs.get("status").map(String::as_str),
        Some("Inactive")
    );
    assert_eq!(
        inactive.evidence.records[0].pointer, "/AccessKeyMetadata/1",
        "{:?}",
        inactive.evidence.records
    );
}

#[test]
fn key_of_an_unknown_user_is_reported_missing() {
    let mut a = account(A);
    add_user(&mut a, "dave", &[]);
    add_key(&mut a, "AKIAEXAMPLEORPHAN001", "ghost", KeyStatus::Active);
    let (g, missing) = build(&[a]);
    assert!(g.find_key("AKIAEXAMPLEORPHAN001").is_some());
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(
        missing[0].source,
        format!("aws/{A}/access-keys.json#/AccessKeyMetadata/0")
    );
    assert!(missing[0].reason.contains("ghost"), "{:?}", missing[0]);
}

// ---------------------------------------------------------------------------------------------
// Administrator-equivalence

fn admin_account() -> Account {
    let mut a = account(A);
    add_managed(&mut a, ADMIN_POLICY, allow_doc("*", "*"));
    a
}

fn administers<'g>(g: &'g Graph, from: &str) -> Option<EdgeView<'g>> {
    edge(g, from, &control(A), EdgeKind::Administers)
}

#[test]
fn star_on_star_administers_the_account_which_controls_every_principal() {
    let mut a = admin_account();
    add_user(&mut a, "alice", &[])
        .attached
        .push(ADMIN_POLICY.into());
    add_user(&mut a, "bob", &[]);
    add_role(&mut a, "ops", trust_aws(&[&root(A)]), &[]);
    add_role(
        &mut a,
        "inline-admin",
        trust_aws(&[&root(A)]),
        &[allow_doc("*", "*")],
    );
    a.groups.push(crate::aws::model::Group {
        pointer: "/GroupDetailList/0".into(),
        name: "devs".into(),
        id: "AGPADEVS".into(),
        arn: format!("arn:aws:iam::{A}:group/devs"),
        inline: Vec::new(),
        attached: Vec::new(),
    });
    let (g, _) = build(&[a]);

    let control_node = g.find_key(&control(A)).expect("account control node");
    assert_eq!(g.node(control_node).kind, NodeKind::AccountControl);
    assert_eq!(g.node(control_node).account.as_deref(), Some(A));

    let e = administers(&g, &user_arn(A, "alice")).expect("AdministratorAccess is admin");
    assert_eq!(e.reach, Reach::Definite);
    assert!(
        e.evidence
            .statements
            .iter()
            .any(|s| &*s.policy == ADMIN_POLICY),
        "{:?}",
        e.evidence.statements
    );
    assert_eq!(
        administers(&g, &role_arn(A, "inline-admin")).map(|e| e.reach),
        Some(Reach::Definite),
        "an inline * on * is admin too"
    );
    assert!(administers(&g, &user_arn(A, "bob")).is_none());
    assert!(administers(&g, &role_arn(A, "ops")).is_none());

    let controlled = targets_of(&g, &control(A), EdgeKind::Controls);
    let expected: BTreeSet<String> = [
        user_arn(A, "alice"),
        user_arn(A, "bob"),
        role_arn(A, "ops"),
        role_arn(A, "inline-admin"),
        format!("arn:aws:iam::{A}:group/devs"),
    ]
    .into_iter()
    .collect();
    assert_eq!(controlled, expected);
    for (e, _) in g.out_edges(control_node) {
        assert_eq!(g.edge(e).reach, Reach::Definite);
    }

    // Through the graph: bob reaches nothing admin; alice reaches bob through control.
    let r = radius(&g, g.find_key(&user_arn(A, "alice")).unwrap());
    let bob = g.find_key(&user_arn(A, "bob")).unwrap();
    let reached = r.get(bob).expect("bob is reached through account control");
    assert_eq!(reached.reach, Reach::Definite);
    let kinds: Vec<EdgeKind> = r
        .path(reached)
        .into_iter()
        .map(|e| g.edge(e).kind)
        .collect();
    assert_eq!(kinds, vec![EdgeKind::Administers, EdgeKind::Controls]);
}

#[test]
fn boundary_that_does_not_allow_everything_removes_admin() {
    let mut a = admin_account();
    let boundary = format!("arn:aws:iam::{A}:policy/Boundary");
    add_managed(
        &mut a,
        &boundary,
        statements(vec![allow("s3:*", "*"), allow("iam:*", "*")]),
    );
    let open = format!("arn:aws:iam::{A}:policy/OpenBoundary");
    add_managed(&mut a, &open, allow_doc("*", "*"));
    let r = add_role(&mut a, "bounded", trust_aws(&[&root(A)]), &[]);
    r.attached.push(ADMIN_POLICY.into());
    r.boundary = Some(boundary);
    let r = add_role(&mut a, "open", trust_aws(&[&root(A)]), &[]);
    r.attached.push(ADMIN_POLICY.into());
    r.boundary = Some(open);
    let (g, _) = build(&[a]);
    assert!(administers(&g, &role_arn(A, "bounded")).is_none());
    assert_eq!(
        administers(&g, &role_arn(A, "open")).map(|e| e.reach),
        Some(Reach::Definite)
    );
}

#[test]
fn deny_of_all_iam_removes_admin() {
    let mut a = admin_account();
    for (name, denied) in [("no-iam", "iam:*"), ("no-anything", "*")] {
        add_role(
            &mut a,
            name,
            trust_aws(&[&root(A)]),
            &[statements(vec![deny(denied, "*")])],
        )
        .attached
        .push(ADMIN_POLICY.into());
    }
    let (g, _) = build(&[a]);
    assert!(administers(&g, &role_arn(A, "no-iam")).is_none());
    assert!(administers(&g, &role_arn(A, "no-anything")).is_none());
}

#[test]
fn deny_of_one_iam_action_makes_admin_conditional() {
    let mut a = admin_account();
    add_role(
        &mut a,
        "partly",
        trust_aws(&[&root(A)]),
        &[statements(vec![deny("iam:CreateAccessKey", "*")])],
    )
    .attached
    .push(ADMIN_POLICY.into());
    // A deny outside IAM leaves admin definite.
    add_role(
        &mut a,
        "no-s3",
        trust_aws(&[&root(A)]),
        &[statements(vec![deny("s3:*", "*")])],
    )
    .attached
    .push(ADMIN_POLICY.into());
    let (g, _) = build(&[a]);
    let e = administers(&g, &role_arn(A, "partly")).expect("kept, conditional");
    assert_eq!(e.reach, Reach::Conditional);
    assert!(!e.evidence.undecided.is_empty());
    assert!(
        e.evidence
            .statements
            .iter()
            .any(|s| s.effect == "deny" && s.pointer.contains("RolePolicyList/0")),
        "{:?}",
        e.evidence.statements
    );
    assert_eq!(
        administers(&g, &role_arn(A, "no-s3")).map(|e| e.reach),
        Some(Reach::Definite)
    );
}

// ---------------------------------------------------------------------------------------------
// Gaps in the snapshot

#[test]
fn attached_policy_missing_from_the_snapshot_keeps_reach_and_admin_conditional() {
    let ghost = format!("arn:aws:iam::{A}:policy/Ghost");
    let mut a = account(A);
    add_user(&mut a, "alice", &[]).attached.push(ghost.clone());
    add_role(&mut a, "target", trust_aws(&[&root(A)]), &[]);
    let (g, missing) = build(&[a]);

    let e = assumes(&g, &user_arn(A, "alice"), A, "target")
        .expect("what the missing policy may allow is kept");
    assert_eq!(e.reach, Reach::Conditional);
    assert!(
        undecided_keys(e).contains(&ghost.as_str()),
        "{:?}",
        e.evidence.undecided
    );
    let admin = administers(&g, &user_arn(A, "alice")).expect("admin kept as conditional");
    assert_eq!(admin.reach, Reach::Conditional);

    assert_eq!(
        missing
            .iter()
            .map(|m| m.source.as_str())
            .collect::<Vec<_>>(),
        vec![format!("aws/{A}/gaad.json#{ghost}")]
    );

    // In the radius: the role's session and admin are conditional, never dropped.
    let r = radius(&g, g.find_key(&user_arn(A, "alice")).unwrap());
    let reach_of = |key: &str| r.get(g.find_key(key).unwrap()).map(|x| x.reach);
    assert_eq!(reach_of(&session(A, "target")), Some(Reach::Conditional));
    assert_eq!(reach_of(&control(A)), Some(Reach::Conditional));
}

#[test]
fn missing_boundary_document_makes_reach_conditional() {
    let ghost = format!("arn:aws:iam::{A}:policy/GhostBoundary");
    let mut a = account(A);
    add_role(
        &mut a,
        "caller",
        trust_aws(&[&root(A)]),
        &[allow_doc("sts:AssumeRole", "*")],
    )
    .boundary = Some(ghost.clone());
    add_role(&mut a, "target", trust_aws(&[&root(A)]), &[]);
    let (g, missing) = build(&[a]);
    assert_eq!(
        assumes(&g, &role_arn(A, "caller"), A, "target").map(|e| e.reach),
        Some(Reach::Conditional)
    );
    assert!(missing.iter().any(|m| m.source.ends_with(&ghost)));
}

// ---------------------------------------------------------------------------------------------
// Policy variables

#[test]
fn username_variable_in_a_resource_resolves_per_user() {
    let self_service = statements(vec![
        allow(
            "iam:*AccessKey*",
            &format!("arn:aws:iam::{A}:user/${{aws:username}}"),
        ),
        allow(
            "sts:AssumeRole",
            &format!("arn:aws:iam::{A}:role/${{aws:username}}-role"),
        ),
    ]);
    let mut a = account(A);
    add_user(&mut a, "carol", std::slice::from_ref(&self_service));
    add_user(&mut a, "dave", &[self_service]);
    add_role(&mut a, "carol-role", trust_aws(&[&root(A)]), &[]);
    add_role(&mut a, "dave-role", trust_aws(&[&root(A)]), &[]);
    let (g, _) = build(&[a]);

    assert!(assumes(&g, &user_arn(A, "carol"), A, "carol-role").is_some());
    assert!(assumes(&g, &user_arn(A, "carol"), A, "dave-role").is_none());
    assert!(assumes(&g, &user_arn(A, "dave"), A, "dave-role").is_some());
    assert!(assumes(&g, &user_arn(A, "dave"), A, "carol-role").is_none());

    let granted = |user: &str| targets_of(&g, &user_arn(A, user), EdgeKind::Granted);
    let carol_perm = format!("aws:permission:{A}:iam:*AccessKey* on arn:aws:iam::{A}:user/carol");
    let dave_perm = format!("aws:permission:{A}:iam:*AccessKey* on arn:aws:iam::{A}:user/dave");
    assert!(
        granted("carol").contains(&carol_perm),
        "{:?}",
        granted("carol")
    );
    assert!(!granted("carol").contains(&dave_perm));
    assert!(
        granted("dave").contains(&dave_perm),
        "{:?}",
        granted("dave")
    );
}

// ---------------------------------------------------------------------------------------------
// Roles outside the snapshot

#[test]
fn assume_role_in_an_account_outside_the_snapshot_goes_to_an_external_role_node() {
    let foreign = "arn:aws:iam::999988887777:role/acme-deploy";
    let mut a = account(A);
    add_user(&mut a, "ci", &[allow_doc("sts:AssumeRole", foreign)]);
    add_user(
        &mut a,
        "local-only",
        &[allow_doc("sts:AssumeRole", &role_arn(A, "*"))],
    );
    let (g, _) = build(&[a]);

    let key = format!("aws:external-role:{foreign}");
    let node = g
        .find_key(&key)
        .expect("a node stands for the foreign role");
    assert_eq!(g.node(node).class, "external-role");
    assert_eq!(g.node(node).kind, NodeKind::Principal);
    let e = edge(&g, &user_arn(A, "ci"), &key, EdgeKind::Assumes).expect("edge to it");
    assert_eq!(e.reach, Reach::Conditional);
    assert!(
        undecided_keys(e).contains(&"trust policy"),
        "{:?}",
        e.evidence.undecided
    );
    // A pattern inside the snapshot's accounts yields no external node.
    assert!(targets_of(&g, &user_arn(A, "local-only"), EdgeKind::Assumes).is_empty());
}

#[test]
fn assume_role_outside_the_snapshot_respects_denies() {
    let foreign = "arn:aws:iam::999988887777:role/acme-deploy";
    let mut a = account(A);
    add_user(
        &mut a,
        "ci",
        &[statements(vec![
            allow("sts:AssumeRole", foreign),
            deny("sts:AssumeRole", "arn:aws:iam::999988887777:role/*"),
        ])],
    );
    let (g, _) = build(&[a]);
    assert!(targets_of(&g, &user_arn(A, "ci"), EdgeKind::Assumes).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Managed policy versions (through the loader)

fn load_gaad(gaad: Value) -> Account {
    let gaad: Gaad = serde_json::from_value(gaad).unwrap();
    let file = SourceFile {
        disk: Path::new("gaad.json"),
        relative: Arc::from(gaad_file(A).as_str()),
    };
    account_from_gaad(A, &file, vec![(String::new(), gaad)]).unwrap()
}

#[test]
fn only_the_default_policy_version_counts() {
    let deploy = format!("arn:aws:iam::{A}:policy/DeployPolicy");
    let flagged = format!("arn:aws:iam::{A}:policy/ByIdOnly");
    let a = load_gaad(json!({
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [
            {
                "RoleName": "deploy", "RoleId": "AROADEPLOY", "Path": "/",
                "Arn": role_arn(A, "deploy"),
                "AssumeRolePolicyDocument": trust_aws(&[&root(A)]),
                "AttachedManagedPolicies": [{"PolicyName": "DeployPolicy", "PolicyArn": deploy}]
            },
            {
                "RoleName": "by-id", "RoleId": "AROABYID", "Path": "/",
                "Arn": role_arn(A, "by-id"),
                "AssumeRolePolicyDocument": trust_aws(&[&root(A)]),
                "AttachedManagedPolicies": [{"PolicyName": "ByIdOnly", "PolicyArn": flagged}]
            }
        ],
        "Policies": [
            {
                "PolicyName": "DeployPolicy", "Arn": deploy, "DefaultVersionId": "v2",
                "PolicyVersionList": [
                    {"VersionId": "v1", "IsDefaultVersion": false, "Document": allow_doc("*", "*")},
                    {"VersionId": "v2", "IsDefaultVersion": true, "Document": allow_doc("s3:GetObject", "arn:aws:s3:::staging/*")}
                ]
            },
            {
                "PolicyName": "ByIdOnly", "Arn": flagged, "DefaultVersionId": "v3",
                "PolicyVersionList": [
                    {"VersionId": "v4", "Document": allow_doc("*", "*")},
                    {"VersionId": "v3", "Document": allow_doc("ec2:Describe*", "*")}
                ]
            }
        ]
    }));
    // The loader keeps the default version's document and pointer.
    let policy = &a.managed[&deploy];
    assert_eq!(
        policy.source.pointer,
        "/Policies/0/PolicyVersionList/1/Document"
    );
    assert_eq!(policy.statements.len(), 1);

    let (g, missing) = build(&[a]);
    assert!(missing.is_empty(), "{missing:?}");
    for role in ["deploy", "by-id"] {
        assert!(
            administers(&g, &role_arn(A, role)).is_none(),
            "{role}: a non-default version's * on * must be ignored"
        );
    }
    let granted = targets_of(&g, &role_arn(A, "deploy"), EdgeKind::Granted);
    assert_eq!(
        granted,
        BTreeSet::from([format!(
            "aws:permission:{A}:s3:GetObject on arn:aws:s3:::staging/*"
        )])
    );
    let granted = targets_of(&g, &role_arn(A, "by-id"), EdgeKind::Granted);
    assert_eq!(
        granted,
        BTreeSet::from([format!("aws:permission:{A}:ec2:Describe* on *")])
    );
}

#[test]
fn policy_without_a_default_version_is_missing_not_dropped() {
    let odd = format!("arn:aws:iam::{A}:policy/NoDefault");
    let a = load_gaad(json!({
        "RoleDetailList": [{
            "RoleName": "r", "RoleId": "AROAR", "Path": "/", "Arn": role_arn(A, "r"),
            "AssumeRolePolicyDocument": trust_aws(&[&root(A)]),
            "AttachedManagedPolicies": [{"PolicyArn": odd}]
        }],
        "Policies": [{
            "Arn": odd,
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": false, "Document": allow_doc("*", "*")}]
        }]
    }));
    assert!(a.managed[&odd].missing_document);
    let (g, _) = build(&[a]);
    assert_eq!(
        administers(&g, &role_arn(A, "r")).map(|e| e.reach),
        Some(Reach::Conditional)
    );
}

// ---------------------------------------------------------------------------------------------
// Whole-graph properties

#[test]
fn lowering_is_deterministic() {
    let make = || {
        let mut a = admin_account();
        add_user(&mut a, "alice", &[allow_doc("sts:AssumeRole", "*")]);
        add_user(&mut a, "bob", &[])
            .attached
            .push(ADMIN_POLICY.into());
        add_role(
            &mut a,
            "r1",
            trust_aws(&[&root(A)]),
            &[allow_doc("sts:AssumeRole", "*")],
        );
        add_role(&mut a, "r2", trust_aws(&[&role_arn(A, "r1")]), &[]);
        let mut b = account(B);
        add_role(&mut b, "x", trust_aws(&[&root(A)]), &[]);
        let (g, missing) = build(&[a, b]);
        let nodes: Vec<String> = g.node_ids().map(|n| g.node(n).key.clone()).collect();
        let edges: Vec<(String, String, EdgeKind, Reach)> = g
            .node_ids()
            .flat_map(|n| {
                g.out_edges(n)
                    .map(|(e, t)| {
                        (
                            g.node(n).key.clone(),
                            g.node(t).key.clone(),
                            g.edge(e).kind,
                            g.edge(e).reach,
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        (nodes, edges, missing)
    };
    let first = make();
    for _ in 0..3 {
        assert_eq!(make(), first);
    }
}

// ---------------------------------------------------------------------------------------------
// More trust policy shapes

#[test]
fn deny_in_the_trust_policy_removes_the_edge() {
    let mut a = account(A);
    add_user(&mut a, "alice", &[allow_doc("sts:AssumeRole", "*")]);
    add_user(&mut a, "bob", &[allow_doc("sts:AssumeRole", "*")]);
    add_role(
        &mut a,
        "target",
        statements(vec![
            json!({"Effect": "Allow", "Principal": {"AWS": root(A)}, "Action": "sts:AssumeRole"}),
            json!({"Effect": "Deny", "Principal": {"AWS": user_arn(A, "alice")}, "Action": "sts:AssumeRole"}),
        ]),
        &[],
    );
    let (g, _) = build(&[a]);
    assert!(assumes(&g, &user_arn(A, "alice"), A, "target").is_none());
    assert!(assumes(&g, &user_arn(A, "bob"), A, "target").is_some());
}

#[test]
fn trust_naming_the_unique_id_names_the_principal() {
    let mut a = account(A);
    add_user(&mut a, "alice", &[]);
    let id = a.users[0].id.clone();
    add_role(&mut a, "target", trust_aws(&[&id]), &[]);
    let (g, _) = build(&[a]);
    assert_eq!(
        assumes(&g, &user_arn(A, "alice"), A, "target").map(|e| e.reach),
        Some(Reach::Definite)
    );
}

#[test]
fn trust_naming_a_session_of_the_calling_role_names_the_role() {
    let mut a = account(A);
    add_role(&mut a, "caller", trust_aws(&[&root(A)]), &[]);
    add_role(
        &mut a,
        "target",
        trust_aws(&[&format!("arn:aws:sts::{A}:assumed-role/caller/any-session")]),
        &[],
    );
    let (g, _) = build(&[a]);
    assert!(assumes(&g, &role_arn(A, "caller"), A, "target").is_some());
}

#[test]
fn principal_tag_conditions_are_decided_for_users_and_open_for_roles() {
    let mut a = account(A);
    add_user(&mut a, "tagged", &[allow_doc("sts:AssumeRole", "*")])
        .tags
        .push(("team".into(), "platform".into()));
    add_user(&mut a, "untagged", &[allow_doc("sts:AssumeRole", "*")]);
    add_role(
        &mut a,
        "caller",
        trust_aws(&[&root(A)]),
        &[allow_doc("sts:AssumeRole", "*")],
    );
    add_role(
        &mut a,
        "target",
        trust_with_condition(
            &[&root(A)],
            json!({"StringEquals": {"aws:PrincipalTag/team": "platform"}}),
        ),
        &[],
    );
    let (g, _) = build(&[a]);
    assert_eq!(
        assumes(&g, &user_arn(A, "tagged"), A, "target").map(|e| e.reach),
        Some(Reach::Definite)
    );
    assert!(
        assumes(&g, &user_arn(A, "untagged"), A, "target").is_none(),
        "a user's tags are all known: no tag, no edge"
    );
    let role_edge =
        assumes(&g, &role_arn(A, "caller"), A, "target").expect("session tags may be chosen");
    assert_eq!(role_edge.reach, Reach::Conditional);
    assert_eq!(undecided_keys(role_edge), vec!["aws:PrincipalTag/team"]);
}

#[test]
fn attached_policy_missing_from_the_snapshot_keeps_reach_outside_the_snapshot() {
    let ghost = format!("arn:aws:iam::{A}:policy/Ghost");
    let mut a = account(A);
    add_user(&mut a, "alice", &[]).attached.push(ghost);
    let (g, _) = build(&[a]);
    let external = targets_of(&g, &user_arn(A, "alice"), EdgeKind::Assumes);
    assert!(
        external.iter().any(|k| k.starts_with("aws:external-role:")),
        "whatever the missing policy allows is kept as conditional: {external:?}"
    );
}

#[test]
fn the_graph_is_the_same_whatever_the_number_of_threads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/iam-vulnerable");
    let snapshot = crate::snapshot::Snapshot::open(&dir).expect("example snapshot");
    let rules = crate::rules::RuleSet::builtin().expect("built-in rules");
    let built_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let mut graph = Graph::new();
        pool.install(|| lower(&snapshot.aws_accounts, None, &rules.rules, &mut graph));
        // Ids included: witnesses and reports follow the order edges were added in.
        let nodes: Vec<String> = graph
            .node_ids()
            .map(|n| graph.node(n).key.clone())
            .collect();
        let edges: Vec<_> = graph
            .edge_ids()
            .map(|e| {
                let (from, to) = graph.endpoints(e);
                (from.index(), to.index(), graph.edge(e).to_edge())
            })
            .collect();
        (nodes, edges)
    };
    let one = built_with(1);
    assert!(one.1.len() > 1000, "a graph worth comparing");
    assert!(one == built_with(4), "four threads build another graph");
}
