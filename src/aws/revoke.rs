//! `revoke-plan`: from a leaked key's radius to the ordered steps that contain it. Which steps
//! are needed is decided here, from the graph; the playbooks of `policies/revocation/aws.toml`
//! say how to carry each out; the emitters of `report::plan` only print.

use super::model::Account;
use super::whatif::{Change, apply};
use crate::graph::{EdgeKind, Graph, NodeId, NodeKind, Reach};
use crate::query::Radius;
use crate::rules::Rule;
use crate::snapshot::Snapshot;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

const PLAYBOOKS: &str = include_str!("../../policies/revocation/aws.toml");
const PLACEHOLDERS: &[&str] = &[
    "{key}",
    "{user}",
    "{role}",
    "{arn}",
    "{account}",
    "{now}",
    "{since}",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    pub id: String,
    pub applies_to: String,
    pub title: String,
    pub reference: String,
    pub cost: String,
    #[serde(default)]
    pub audit: Vec<String>,
    pub steps: Vec<PlaybookStep>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookStep {
    pub what: String,
    pub command: String,
    pub mutating: bool,
}

/// A kind of secret the snapshot may not list, and how a radius reads it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretStore {
    pub class: String,
    pub name: String,
    pub read_actions: Vec<String>,
    pub arn: String,
    pub list: String,
}

#[derive(Debug, Deserialize)]
struct PlaybookFile {
    playbook: Vec<Playbook>,
    #[serde(default)]
    store: Vec<SecretStore>,
}

fn playbook_file() -> Result<PlaybookFile, String> {
    toml::from_str(PLAYBOOKS).map_err(|e| {
        format!(
            "policies/revocation/aws.toml: {}",
            e.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        )
    })
}

/// The secret stores, each with a playbook to rotate what it holds.
pub fn secret_stores() -> Result<Vec<SecretStore>, String> {
    let file = playbook_file()?;
    for store in &file.store {
        if !file.playbook.iter().any(|p| p.applies_to == store.class) {
            return Err(format!(
                "policies/revocation/aws.toml: store `{}` has no playbook for `{}`",
                store.name, store.class
            ));
        }
    }
    Ok(file.store)
}

/// The built-in playbooks, checked: unique ids, a reference, known placeholders.
pub fn playbooks() -> Result<Vec<Playbook>, String> {
    let file = playbook_file()?;
    let mut ids = BTreeSet::new();
    for p in &file.playbook {
        if !ids.insert(p.id.clone()) {
            return Err(format!(
                "policies/revocation/aws.toml: playbook `{}` appears twice",
                p.id
            ));
        }
        if !p.reference.starts_with("https://") {
            return Err(format!(
                "policies/revocation/aws.toml: playbook `{}` needs a reference",
                p.id
            ));
        }
        for s in &p.steps {
            let mut rest = s.command.clone();
            for ph in PLACEHOLDERS {
                rest = rest.replace(ph, "");
            }
            // JSON braces in policy documents are fine; placeholders are lower-case words.
            if let Some(i) = rest
                .find('{')
                .filter(|&i| rest[i + 1..].starts_with(|c: char| c.is_ascii_lowercase()))
            {
                return Err(format!(
                    "policies/revocation/aws.toml: playbook `{}` uses an unknown placeholder near `{}`",
                    p.id,
                    &rest[i..(i + 12).min(rest.len())]
                ));
            }
        }
    }
    Ok(file.playbook)
}

/// One step of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStep {
    pub number: usize,
    /// `contain`, `sessions`, `persistence`, `secrets`.
    pub section: &'static str,
    pub title: String,
    /// The radius facts that make the step necessary.
    pub because: Vec<String>,
    pub cost: String,
    pub commands: Vec<PlanCommand>,
    /// CloudTrail event names to audit since the exposure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<String>,
    /// Until when a session minted before revocation could stay valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    pub playbook: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanCommand {
    pub what: String,
    pub command: String,
    pub mutating: bool,
}

/// A verified scope correction: one change, or a set that only works together, and the
/// radius before and after it.
#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    pub changes: Vec<String>,
    pub because: Vec<String>,
    pub admin_before: &'static str,
    pub admin_after: &'static str,
    pub principals_before: usize,
    pub principals_after: usize,
}

/// Advice on replacing the key with short-lived credentials.
#[derive(Debug, Clone, Serialize)]
pub struct Replacement {
    pub mechanism: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub schema: &'static str,
    pub key: String,
    pub owner: Option<String>,
    pub account: Option<String>,
    pub generated_at: String,
    pub exposed_since: Option<String>,
    pub admin: &'static str,
    pub steps: Vec<PlanStep>,
    pub scope_corrections: Vec<Correction>,
    pub replace_with: Vec<Replacement>,
    pub missing_sources: Vec<String>,
}

pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    pub graph: &'a mut Graph,
    pub missing: &'a [crate::snapshot::MissingSource],
    pub rules: &'a [Rule],
    pub start: NodeId,
    pub now: DateTime<Utc>,
    pub exposed_since: Option<DateTime<Utc>>,
}

/// The text "actor -> target" of a technique's use, byte by byte, without making it.
fn use_text<'a>((from, to): &(&'a str, &'a str)) -> impl Iterator<Item = u8> + 'a {
    from.bytes().chain(" -> ".bytes()).chain(to.bytes())
}

fn make_step(
    section: &'static str,
    playbook: &Playbook,
    title: String,
    because: Vec<String>,
    vars: &BTreeMap<&str, String>,
    valid_until: Option<String>,
) -> PlanStep {
    PlanStep {
        number: 0,
        section,
        title,
        because,
        cost: playbook.cost.clone(),
        commands: playbook
            .steps
            .iter()
            .map(|s| PlanCommand {
                what: s.what.clone(),
                command: fill(&s.command, vars),
                mutating: s.mutating,
            })
            .collect(),
        audit: playbook.audit.clone(),
        valid_until,
        playbook: playbook.id.clone(),
    }
}

fn fill(template: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn hours(secs: i64) -> String {
    if secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else {
        format!("{} min", secs / 60)
    }
}

/// What the plan asks of the edges into the radius, found in one scan of the edge list:
/// through [`Graph::in_edges`] it would first build the incoming rows, 8 bytes an edge.
struct IntoReach {
    /// An escalation from the radius targets the key's owner.
    owner_targeted: bool,
    /// Each reached session's longest lifetime over the edges into it from the radius or
    /// the key, in seconds.
    lifetimes: HashMap<NodeId, u32>,
}

impl IntoReach {
    fn scan(graph: &Graph, in_reach: &[bool], start: NodeId, owner: Option<NodeId>) -> Self {
        let mut into = IntoReach {
            owner_targeted: false,
            lifetimes: HashMap::new(),
        };
        let masked = graph.masked();
        for (e, from, to, slot) in graph.edge_entries() {
            let from_reach = in_reach[from.index()];
            if !(from_reach || from == start) || masked.contains(&e) {
                continue;
            }
            if from_reach && Some(to) == owner && slot.kind == EdgeKind::EscalatesTo {
                into.owner_targeted = true;
            }
            if !in_reach[to.index()] || graph.node(to).kind != NodeKind::Session {
                continue;
            }
            if let Some(secs) = graph.edge(e).evidence.session_max_secs {
                let longest = into.lifetimes.entry(to).or_insert(secs);
                *longest = (*longest).max(secs);
            }
        }
        into
    }
}

pub fn plan(mut inputs: Inputs) -> Result<Plan, String> {
    let books = playbooks()?;
    let reach = crate::query::radius(inputs.graph, inputs.start);
    // The corrections first: their what-ifs are the plan's widest moment, and the steps (one
    // per reached session, hundreds of thousands for a wide key) need not be held during them.
    let corrections = corrections(&mut inputs, &reach);
    let book = |applies: &str| books.iter().find(|b| b.applies_to == applies).cloned();
    let graph = &*inputs.graph;
    let start = graph.node(inputs.start).clone();
    // Looked up for both ends of every edge of the graph: a flag per node.
    let mut in_reach = vec![false; graph.node_bound()];
    for r in &reach.reached {
        in_reach[r.node.index()] = true;
    }
    let now = inputs.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let since = inputs
        .exposed_since
        .unwrap_or(inputs.now - Duration::days(90))
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let owner = start.attrs.get("user").cloned();
    let account = start.account.as_deref().map(str::to_string);
    let mut base: BTreeMap<&str, String> = BTreeMap::new();
    base.insert("key", start.key.clone());
    base.insert("now", now.clone());
    base.insert("since", since.clone());
    if let Some(u) = &owner {
        base.insert("user", u.clone());
    }
    if let Some(a) = &account {
        base.insert("account", a.clone());
    }
    let mut steps: Vec<PlanStep> = Vec::new();

    // 1. Contain the key.
    if let Some(pb) = book("access-key") {
        let last = start
            .attrs
            .get("last_used")
            .map(|d| format!("last used {d}"))
            .unwrap_or_else(|| "last use unknown".into());
        steps.push(make_step(
            "contain",
            &pb,
            format!("{} {}", pb.title, start.key),
            vec![format!(
                "the key authenticates as user/{} ({last})",
                owner.as_deref().unwrap_or("?")
            )],
            &base,
            None,
        ));
    }
    let accounts: &[Arc<Account>] = &inputs.snapshot.aws_accounts;
    let owner_user = owner.as_deref().and_then(|name| {
        accounts
            .iter()
            .flat_map(|a| a.users.iter().map(move |u| (a, u)))
            .find(|(a, u)| u.name == name && Some(a.id.as_str()) == account.as_deref())
    });
    // The owner must be treated as compromised when the holder could give it new
    // credentials: administrator control of its account, or a technique aimed at it.
    let admin_of_own = reach.reached.iter().any(|r| {
        graph.node(r.node).kind == NodeKind::AccountControl
            && graph.node(r.node).account.as_deref() == account.as_deref()
    });
    let owner_node = owner_user.and_then(|(_, u)| graph.find_key(&u.arn));
    let into = IntoReach::scan(graph, &in_reach, inputs.start, owner_node);
    let owner_targeted = into.owner_targeted;
    if admin_of_own || owner_targeted {
        if let (Some(pb), Some((acct, user))) = (book("user"), owner_user) {
            let others: Vec<String> = acct
                .keys
                .iter()
                .filter(|k| k.user == user.name && k.id != start.key)
                .map(|k| k.id.clone())
                .collect();
            let password = acct
                .credential_report
                .as_ref()
                .and_then(|r| r.get(&user.name))
                .map(|r| r.has_password());
            let mut because = vec![if admin_of_own {
                format!(
                    "the key reaches administrator control of account {}: it can give user/{} new credentials",
                    acct.id, user.name
                )
            } else {
                format!(
                    "an escalation technique in the radius targets user/{}",
                    user.name
                )
            }];
            because.push(format!(
                "other keys: {}",
                if others.is_empty() {
                    "none".into()
                } else {
                    others.join(", ")
                }
            ));
            because.push(format!(
                "console password: {}",
                match password {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "unknown (no credential report)",
                }
            ));
            steps.push(make_step(
                "contain",
                &pb,
                format!("{} (user/{})", pb.title, user.name),
                because,
                &base,
                None,
            ));
        }
    }

    // 2. Sessions the key could have minted, and those of every role it reaches.
    // The longest any reached principal could make it live, not just the witness's edge: a
    // role assumed directly lives longer than one reached by chaining.
    let lifetime = |r: &crate::query::Reached| into.lifetimes.get(&r.node).copied().map(i64::from);
    // One step per user however many of its session kinds the radius holds: a set, since a
    // wide radius holds tens of thousands of sessions.
    let mut users_with_sessions_step: HashSet<String> = HashSet::new();
    for r in &reach.reached {
        let n = graph.node(r.node);
        if n.kind != NodeKind::Session {
            continue;
        }
        let until = lifetime(r).map(|s| {
            format!(
                "{} ({} after revocation, if a session was minted just before)",
                (inputs.now + Duration::seconds(s)).to_rfc3339_opts(SecondsFormat::Secs, true),
                hours(s)
            )
        });
        let path = format!("{} ({}, {} hops)", n.label, r.reach.as_str(), r.hops);
        match n.class {
            "session-token" | "federation-token" => {
                let user = n
                    .key
                    .split('#')
                    .next()
                    .and_then(|arn| arn.rsplit('/').next())
                    .unwrap_or("?")
                    .to_string();
                if users_with_sessions_step.contains(&user) {
                    continue;
                }
                if let Some(pb) = book("session-token") {
                    if pb.id == "aws.revoke.user-sessions" {
                        users_with_sessions_step.insert(user.clone());
                    }
                    let mut vars = base.clone();
                    vars.insert("user", user.clone());
                    steps.push(make_step(
                        "sessions",
                        &pb,
                        format!("{} — user/{user}", pb.title),
                        vec![path],
                        &vars,
                        until,
                    ));
                }
            }
            "role-session" => {
                let role = n
                    .key
                    .trim_end_matches("/*")
                    .rsplit('/')
                    .next()
                    .unwrap_or("?")
                    .to_string();
                let role_node = graph
                    .out_edges(r.node)
                    .find(|(e, _)| graph.edge(*e).kind == EdgeKind::ActsAs)
                    .map(|(_, t)| t);
                let service_linked =
                    role_node.is_some_and(|t| graph.node(t).attrs.contains_key("service_linked"));
                let pb = if service_linked {
                    book("service-linked-role-session")
                } else {
                    book("role-session")
                };
                if let Some(pb) = pb {
                    let mut vars = base.clone();
                    vars.insert("role", role.clone());
                    steps.push(make_step(
                        "sessions",
                        &pb,
                        format!("{} — role/{role}", pb.title),
                        vec![path],
                        &vars,
                        until,
                    ));
                }
            }
            _ => {}
        }
    }

    // 3. Persistence: what each technique in the radius could have left, and where to look.
    // Each use is the text "actor -> target"; a wide radius holds millions. They are gathered
    // one technique at a time (a scan of the radius's edges each) as pairs of nodes (8 bytes,
    // not the 32 of two label slices), ordered and told apart as their texts would be, and
    // only the few shown are written out.
    let in_reach = &in_reach;
    let escalations = || {
        reach.reached.iter().flat_map(|r| {
            graph.out_edges(r.node).filter_map(move |(e, to)| {
                let edge = graph.edge(e);
                match (edge.kind, &edge.evidence.rule) {
                    (EdgeKind::EscalatesTo, Some(rule)) if in_reach[to.index()] => {
                        Some((rule.as_str(), (r.node, to)))
                    }
                    _ => None,
                }
            })
        })
    };
    let mut techniques: BTreeMap<&str, usize> = BTreeMap::new();
    for (rule, _) in escalations() {
        *techniques.entry(rule).or_default() += 1;
    }
    let labels = |&(from, to): &(NodeId, NodeId)| {
        (
            graph.node(from).label.as_str(),
            graph.node(to).label.as_str(),
        )
    };
    for (rule_id, count) in techniques {
        let mut uses: Vec<(NodeId, NodeId)> = Vec::with_capacity(count);
        uses.extend(
            escalations()
                .filter(|&(rule, _)| rule == rule_id)
                .map(|(_, pair)| pair),
        );
        uses.sort_unstable_by(|a, b| use_text(&labels(a)).cmp(use_text(&labels(b))));
        uses.dedup_by(|a, b| use_text(&labels(a)).eq(use_text(&labels(b))));
        let Some(rule) = inputs.rules.iter().find(|r| r.id == rule_id) else {
            continue;
        };
        let commands = rule
            .cloudtrail
            .iter()
            .map(|event| PlanCommand {
                what: format!("find {event} calls since the exposure"),
                command: format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue={event} --start-time {since}"),
                mutating: false,
            })
            .collect();
        let mut because: Vec<String> = uses
            .iter()
            .take(5)
            .map(|pair| {
                let (from, to) = labels(pair);
                format!("{from} -> {to}")
            })
            .collect();
        if uses.len() > 5 {
            because.push(format!("... and {} more", uses.len() - 5));
        }
        steps.push(PlanStep {
            number: 0,
            section: "persistence",
            title: format!(
                "Check what {} could have left: {}",
                rule.id,
                rule.persistence.join("; ")
            ),
            because,
            cost: "none: reading only; remove what is found".into(),
            commands,
            audit: rule.cloudtrail.clone(),
            valid_until: None,
            playbook: rule.id.clone(),
        });
    }
    for r in reach
        .reached
        .iter()
        .filter(|r| graph.node(r.node).kind == NodeKind::AccountControl)
    {
        if let Some(pb) = book("account-control") {
            let mut vars = base.clone();
            vars.insert(
                "account",
                graph
                    .node(r.node)
                    .account
                    .as_deref()
                    .unwrap_or_default()
                    .to_string(),
            );
            steps.push(make_step(
                "persistence",
                &pb,
                format!("{} in account {}", pb.title, vars["account"]),
                vec![format!(
                    "administrator control reached ({})",
                    r.reach.as_str()
                )],
                &vars,
                None,
            ));
        }
    }

    // 4. Secrets the radius can read.
    for r in &reach.reached {
        let n = graph.node(r.node);
        if n.kind != NodeKind::Resource || !n.attrs.contains_key("holds_secret") {
            continue;
        }
        let via = reach
            .via(r)
            .map(|e| graph.edge(e).evidence.mechanism.clone())
            .unwrap_or_default();
        if let Some(pb) = book(n.class) {
            let mut vars = base.clone();
            vars.insert("arn", n.key.clone());
            steps.push(make_step(
                "secrets",
                &pb,
                format!("{} {}", pb.title, n.key),
                vec![format!("{} ({}): {via}", n.label, r.reach.as_str())],
                &vars,
                None,
            ));
        }
    }
    steps.extend(store_steps(graph, &reach, &secret_stores()?, &books));
    for (i, s) in steps.iter_mut().enumerate() {
        s.number = i + 1;
    }

    let admin = reach
        .reached
        .iter()
        .filter(|r| graph.node(r.node).kind == NodeKind::AccountControl)
        .map(|r| r.reach)
        .min()
        .map(|r| r.as_str())
        .unwrap_or("none");
    let replace_with = replacement(owner_user.map(|(a, u)| (&**a, u)));
    Ok(Plan {
        schema: "blastmap.revoke-plan.v1",
        key: start.key.clone(),
        owner,
        account,
        generated_at: now,
        exposed_since: inputs
            .exposed_since
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        admin,
        steps,
        scope_corrections: corrections,
        replace_with,
        missing_sources: inputs
            .missing
            .iter()
            .map(|m| format!("{} ({}): {}", m.source, m.reason, m.may_hide))
            .collect(),
    })
}

/// Secrets the radius may read that the snapshot does not list: for each store, the
/// resource patterns of the reached permissions that may read from it (every secret of an
/// account whose administrator control is reached, or whose policy document is missing).
fn store_steps(
    graph: &Graph,
    reach: &Radius,
    stores: &[SecretStore],
    books: &[Playbook],
) -> Vec<PlanStep> {
    use super::policy::pattern::{intersects, matches};
    let lines = |node: &crate::graph::Node, attr: &str| -> Vec<String> {
        node.attrs
            .get(attr)
            .map(|v| v.lines().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let mut steps = Vec::new();
    for store in stores {
        let Some(book) = books.iter().find(|b| b.applies_to == store.class) else {
            continue;
        };
        // pattern -> (reach, reasons)
        let mut found: BTreeMap<String, (Reach, Vec<String>)> = BTreeMap::new();
        let mut note = |pattern: String, reach: Reach, why: String| {
            let entry = found.entry(pattern).or_insert((reach, Vec::new()));
            entry.0 = entry.0.min(reach);
            if entry.1.len() < 3 && !entry.1.contains(&why) {
                entry.1.push(why);
            }
        };
        for r in &reach.reached {
            let n = graph.node(r.node);
            let in_account = |a: &Option<std::sync::Arc<str>>| {
                store
                    .arn
                    .replacen(":*:*:", &format!(":*:{}:", a.as_deref().unwrap_or("*")), 1)
            };
            match n.kind {
                NodeKind::AccountControl => note(
                    in_account(&n.account),
                    r.reach,
                    format!(
                        "administrator control of {} ({})",
                        n.label,
                        r.reach.as_str()
                    ),
                ),
                NodeKind::Permission if n.attrs.contains_key("unknown_document") => note(
                    in_account(&n.account),
                    Reach::Conditional,
                    format!("{} (conditional)", n.label),
                ),
                NodeKind::Permission => {
                    let actions = lines(n, "actions");
                    let excluded = n.attrs.contains_key("actions_excluded");
                    let reads = store.read_actions.iter().any(|a| {
                        let named = actions.iter().any(|p| matches(p, a, true));
                        named != excluded
                    });
                    if !reads {
                        continue;
                    }
                    let resources = if n.attrs.contains_key("resources_excluded") {
                        vec!["*".to_string()]
                    } else {
                        lines(n, "resources")
                    };
                    for p in resources
                        .iter()
                        .filter(|p| intersects(p, &store.arn, false))
                    {
                        let pattern = if p == "*" {
                            in_account(&n.account)
                        } else {
                            p.clone()
                        };
                        note(
                            pattern,
                            r.reach,
                            format!("{} ({})", n.label, r.reach.as_str()),
                        );
                    }
                }
                _ => {}
            }
        }
        // A pattern another one covers adds nothing but its reasons. With `*` as its only
        // wildcard, `outer` covers `inner` when it matches inner's text, wildcards read as
        // characters: each of them was eaten by a `*` of outer, which eats any expansion.
        let within =
            |outer: &str, inner: &str| !outer.contains('?') && matches(outer, inner, false);
        let patterns: Vec<String> = found.keys().cloned().collect();
        for inner in &patterns {
            let outer = patterns
                .iter()
                .find(|o| *o != inner && found.contains_key(*o) && within(o, inner));
            let Some(outer) = outer else { continue };
            if let Some((reach, why)) = found.remove(inner) {
                if let Some(entry) = found.get_mut(outer) {
                    entry.0 = entry.0.min(reach);
                    for w in why {
                        if entry.1.len() < 4 && !entry.1.contains(&w) {
                            entry.1.push(w);
                        }
                    }
                }
            }
        }
        for (pattern, (reach, because)) in found {
            let mut vars = BTreeMap::new();
            vars.insert("arn", "<EACH_LISTED>".to_string());
            let mut step = make_step(
                "secrets",
                book,
                format!("Rotate every {} the radius may read: {pattern}", store.name),
                because,
                &vars,
                None,
            );
            step.because.push(format!(
                "the snapshot does not list them: list those matching {pattern} ({})",
                reach.as_str()
            ));
            step.commands.insert(
                0,
                PlanCommand {
                    what: format!("list them (keep those matching {pattern})"),
                    command: store.list.clone(),
                    mutating: false,
                },
            );
            steps.push(step);
        }
    }
    steps
}

/// Where a radius stands: its administrator reach and how many principals it holds.
type Standing = (Option<Reach>, usize);

fn standing(graph: &Graph, reach: &Radius) -> Standing {
    let of = |kind: NodeKind| {
        reach
            .reached
            .iter()
            .filter(move |r| graph.node(r.node).kind == kind)
    };
    (
        of(NodeKind::AccountControl).map(|r| r.reach).min(),
        of(NodeKind::Principal).count(),
    )
}

fn admin_rank(a: Option<Reach>) -> u8 {
    match a {
        Some(Reach::Definite) => 0,
        Some(Reach::Conditional) => 1,
        None => 2,
    }
}

/// Whether `after` is a smaller radius than `than`: weaker admin reach, or the same
/// admin reach and fewer principals.
fn smaller(after: Standing, than: Standing) -> bool {
    admin_rank(after.0) > admin_rank(than.0)
        || (admin_rank(after.0) == admin_rank(than.0) && after.1 < than.1)
}

/// Changes that would cut a step of the witness paths to administrator control (or, when
/// the radius holds none, to every principal reached), each with the step it cuts.
fn candidates(graph: &Graph, reach: &Radius, rules: &[Rule]) -> Vec<(Change, String)> {
    let admin: Vec<_> = reach
        .reached
        .iter()
        .filter(|r| graph.node(r.node).kind == NodeKind::AccountControl)
        .collect();
    let targets = if admin.is_empty() {
        reach
            .reached
            .iter()
            .filter(|r| graph.node(r.node).kind == NodeKind::Principal)
            .collect()
    } else {
        admin
    };
    let mut out: Vec<(Change, String)> = Vec::new();
    let mut deferred: Vec<(Change, String)> = Vec::new();
    for t in targets {
        for e in reach.path(t) {
            let (from, to) = graph.endpoints(e);
            let edge = graph.edge(e);
            let from_node = graph.node(from);
            if !matches!(from_node.class, "user" | "role") {
                continue;
            }
            let change = match edge.kind {
                EdgeKind::Assumes if graph.node(to).class == "role-session" => {
                    let role = graph
                        .out_edges(to)
                        .find(|(x, _)| graph.edge(*x).kind == EdgeKind::ActsAs)
                        .map(|(_, r)| graph.node(r).key.clone());
                    let Some(role) = role else { continue };
                    if edge.evidence.mechanism.contains("names the") {
                        Change::RemoveTrust {
                            role,
                            principal: from_node.key.clone(),
                        }
                    } else {
                        Change::AddDeny {
                            principal: from_node.key.clone(),
                            action: "sts:AssumeRole".into(),
                            resource: role,
                        }
                    }
                }
                EdgeKind::EscalatesTo => {
                    let Some(rule) = edge
                        .evidence
                        .rule
                        .as_ref()
                        .and_then(|id| rules.iter().find(|r| &r.id == id))
                    else {
                        continue;
                    };
                    let Some(first) = rule.permissions.iter().find(|p| !p.unless_denied) else {
                        continue;
                    };
                    Change::AddDeny {
                        principal: from_node.key.clone(),
                        action: first.action.clone(),
                        resource: "*".into(),
                    }
                }
                EdgeKind::Administers => {
                    let attached = edge
                        .evidence
                        .statements
                        .iter()
                        .find(|s| s.policy.starts_with("arn:aws:iam::"))
                        .map(|s| s.policy.to_string());
                    match attached {
                        Some(policy) => Change::DetachPolicy {
                            principal: from_node.key.clone(),
                            policy,
                        },
                        None => continue,
                    }
                }
                _ => continue,
            };
            let because = format!(
                "{} {} {}",
                from_node.label,
                edge.kind.phrase(),
                graph.node(to).label
            );
            if !out.iter().any(|(c, _)| c.describe() == change.describe()) {
                out.push((change, because.clone()));
            }
            // A principal that assumes many roles (each trust naming it) is cut from all of
            // them by one deny in its own policies: an explicit deny wins over any trust.
            if edge.kind == EdgeKind::Assumes && graph.node(to).class == "role-session" {
                let all = Change::AddDeny {
                    principal: from_node.key.clone(),
                    action: "sts:AssumeRole".into(),
                    resource: "*".into(),
                };
                if !deferred.iter().any(|(c, _)| c.describe() == all.describe()) {
                    deferred.push((all, format!("{} assumes roles", from_node.label)));
                }
            }
        }
    }
    // After the step-specific changes, so that the narrower ones come first.
    for (change, because) in deferred {
        if !out.iter().any(|(c, _)| c.describe() == change.describe()) {
            out.push((change, because));
        }
    }
    out
}

/// Scope corrections along the paths that made the leak damaging, each verified with
/// what-if; only those that shrink the radius are kept, best first.
fn corrections(inputs: &mut Inputs, reach: &Radius) -> Vec<Correction> {
    const MAX_CANDIDATES: usize = 12;
    const MAX_SET: usize = 6;
    let key = inputs.graph.node(inputs.start).key.clone();
    // The radius the plan was built from is the "before" of every correction.
    let before = standing(inputs.graph, reach);
    let word = |a: Option<Reach>| a.map(|r| r.as_str()).unwrap_or("none");
    let correction = |picked: &[(Change, String)], after: Standing| Correction {
        changes: picked.iter().map(|(c, _)| c.describe()).collect(),
        because: picked.iter().map(|(_, b)| b.clone()).collect(),
        admin_before: word(before.0),
        admin_after: word(after.0),
        principals_before: before.1,
        principals_after: after.1,
    };
    let (snapshot, rules) = (inputs.snapshot, inputs.rules);
    // Read on the overlaid graph: the radius is not kept past its standing.
    let measure = |graph: &mut Graph, changes: &[Change]| -> Option<Standing> {
        let applied = apply(snapshot, changes).ok()?;
        Some(super::whatif::with_changes(graph, &applied, rules, |g| {
            g.find_key(&key)
                .map(|start| standing(g, &crate::query::radius(g, start)))
                .unwrap_or_default()
        }))
    };

    let mut pool = candidates(inputs.graph, reach, rules);
    pool.truncate(MAX_CANDIDATES);
    let mut single: Vec<((Change, String), Standing)> = Vec::new();
    for candidate in pool {
        if let Some(after) = measure(inputs.graph, std::slice::from_ref(&candidate.0)) {
            single.push((candidate, after));
        }
    }
    let single_ends_admin = single.iter().any(|(_, after)| after.0.is_none());
    let mut out: Vec<Correction> = single
        .iter()
        .filter(|(_, after)| smaller(*after, before))
        .map(|(c, after)| correction(std::slice::from_ref(c), *after))
        .collect();
    out.sort_by(|a, b| {
        let r = |s: &str| match s {
            "definite" => 0,
            "conditional" => 1,
            _ => 2,
        };
        r(b.admin_after)
            .cmp(&r(a.admin_after))
            .then(a.principals_after.cmp(&b.principals_after))
    });
    // One blanket "assume no role" deny is enough to show; the rest of the list keeps
    // changes that cut a single step, which break less.
    let blanket = |c: &Correction| {
        c.changes
            .iter()
            .any(|d| d.starts_with("deny sts:AssumeRole on * to "))
    };
    let mut blankets = 0;
    out.retain(|c| {
        let keep = !blanket(c) || blankets == 0;
        blankets += usize::from(blanket(c));
        keep
    });
    out.truncate(6);

    // With several independent paths to administrator control no single change ends it:
    // build a set. Each round overlays the set chosen so far and cuts the witness path that
    // remains, with the change on it that leaves the smallest radius (cutting one of two
    // paths may not shrink anything yet, so every round takes one). Then changes the others
    // make unnecessary are dropped, so the set offered is irredundant.
    if before.0.is_some() && !single_ends_admin {
        let mut picked: Vec<(Change, String)> = Vec::new();
        let mut current = before;
        while current.0.is_some() && picked.len() < MAX_SET {
            let chosen: Vec<Change> = picked.iter().map(|(c, _)| c.clone()).collect();
            let Ok(applied) = apply(snapshot, &chosen) else {
                break;
            };
            let start = inputs.start;
            let mut pool = super::whatif::with_changes(inputs.graph, &applied, rules, |g| {
                candidates(g, &crate::query::radius(g, start), rules)
            });
            pool.retain(|(c, _)| !picked.iter().any(|(p, _)| p.describe() == c.describe()));
            pool.truncate(MAX_CANDIDATES);
            let mut best: Option<((Change, String), Standing)> = None;
            for candidate in pool {
                let mut trial = chosen.clone();
                trial.push(candidate.0.clone());
                if let Some(after) = measure(inputs.graph, &trial) {
                    if best.as_ref().is_none_or(|(_, b)| smaller(after, *b)) {
                        best = Some((candidate, after));
                    }
                }
            }
            let Some((candidate, after)) = best else {
                break;
            };
            picked.push(candidate);
            current = after;
        }
        if current.0.is_none() {
            let mut i = 0;
            while i < picked.len() && picked.len() > 1 {
                let without: Vec<Change> = picked
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, (c, _))| c.clone())
                    .collect();
                match measure(inputs.graph, &without) {
                    Some(after) if after.0.is_none() => {
                        picked.remove(i);
                        current = after;
                    }
                    _ => i += 1,
                }
            }
            if picked.len() > 1 {
                out.insert(0, correction(&picked, current));
            }
        }
    }
    out
}

fn replacement(owner: Option<(&Account, &super::model::User)>) -> Vec<Replacement> {
    let Some((account, user)) = owner else {
        return Vec::new();
    };
    let password = account
        .credential_report
        .as_ref()
        .and_then(|r| r.get(&user.name))
        .map(|r| r.has_password());
    let name = format!("{}{}", user.arn.to_lowercase(), user.name.to_lowercase());
    let workload = password != Some(true)
        && [
            "automation",
            "ci",
            "deploy",
            "bot",
            "runner",
            "pipeline",
            "github",
            "gitlab",
            "jenkins",
            "terraform",
            "svc",
            "service",
            "sync",
            "backup",
            "exporter",
        ]
        .iter()
        .any(|w| name.contains(w));
    if !workload {
        return Vec::new();
    }
    let mut out = Vec::new();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&[
        "ci", "deploy", "runner", "pipeline", "github", "gitlab", "jenkins",
    ]) {
        out.push(Replacement {
            mechanism: "OIDC federation for CI (sts:AssumeRoleWithWebIdentity)".into(),
            why: format!("user/{} looks like a CI identity: GitHub Actions, GitLab CI and most CI systems issue OIDC tokens; a role trusting the provider with `aud` and a `sub` condition per repository and branch replaces the long-lived key, and tokens last minutes", user.name),
        });
    }
    if has(&["terraform"]) {
        out.push(Replacement {
            mechanism: "OIDC federation from the Terraform platform (dynamic provider credentials)"
                .into(),
            why: format!(
                "user/{} looks like an infrastructure-as-code identity",
                user.name
            ),
        });
    }
    out.push(Replacement {
        mechanism: "an instance profile, ECS task role, Lambda execution role or IRSA / EKS Pod Identity".into(),
        why: format!("user/{} has no console password and its name says it is a workload: where it runs on AWS, the platform's role gives it credentials that rotate by themselves", user.name),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_playbooks_check() {
        let books = playbooks();
        assert!(books.as_ref().is_ok_and(|b| b.len() >= 8), "{books:?}");
        let books = books.unwrap_or_default();
        for kind in [
            "access-key",
            "user",
            "session-token",
            "role-session",
            "service-linked-role-session",
            "secret",
            "kms-key",
            "account-control",
        ] {
            assert!(
                books.iter().any(|b| b.applies_to == kind),
                "no playbook for {kind}"
            );
        }
        // Every playbook that changes the account says what it costs.
        assert!(books.iter().all(|b| !b.cost.is_empty()));
    }

    /// Compared against [`Graph::in_edges`]: the scan must see exactly the edges into each
    /// node that the incoming rows hold, masked ones left out.
    #[test]
    fn into_reach_reads_the_edges_into_the_radius() {
        use crate::graph::{Edge, Evidence, Node};
        let mut g = Graph::new();
        let mut node = |kind, class, key: &str| g.add_node(Node::new(kind, "aws", class, key, key));
        let key = node(NodeKind::Credential, "access-key", "AKIAIOSFODNN7EXAMPLE");
        let owner = node(NodeKind::Principal, "user", "user/owner");
        let actor = node(NodeKind::Principal, "role", "role/actor");
        let outsider = node(NodeKind::Principal, "role", "role/outsider");
        let session = node(NodeKind::Session, "role-session", "role/actor/*");
        let lasting = |secs| {
            let mut evidence = Evidence::new("assumes");
            evidence.session_max_secs = Some(secs);
            Edge::new(EdgeKind::Assumes, evidence)
        };
        let escalates = || Edge::new(EdgeKind::EscalatesTo, Evidence::new("escalates"));
        g.add_edge(key, session, lasting(3_600));
        g.add_edge(actor, session, lasting(7_200));
        // Longer, but from outside the radius or hidden by an overlay: not counted.
        g.add_edge(outsider, session, lasting(43_200));
        let masked = g.add_edge(actor, session, lasting(36_000));
        g.mask_edge(masked);
        let mut in_reach = vec![false; g.node_bound()];
        for n in [owner, actor, session] {
            in_reach[n.index()] = true;
        }

        let into = IntoReach::scan(&g, &in_reach, key, Some(owner));
        assert!(!into.owner_targeted);
        assert_eq!(into.lifetimes.get(&session), Some(&7_200));
        let by_rows = g
            .in_edges(session)
            .filter(|(_, from)| in_reach[from.index()] || *from == key)
            .filter_map(|(e, _)| g.edge(e).evidence.session_max_secs)
            .max();
        assert_eq!(into.lifetimes.get(&session).copied(), by_rows);

        // An escalation onto the owner from outside the radius (the key itself is not in it)
        // does not target it; one from inside does.
        g.add_edge(outsider, owner, escalates());
        g.add_edge(key, owner, escalates());
        assert!(!IntoReach::scan(&g, &in_reach, key, Some(owner)).owner_targeted);
        g.add_edge(actor, owner, escalates());
        assert!(IntoReach::scan(&g, &in_reach, key, Some(owner)).owner_targeted);
    }

    #[test]
    fn placeholders_are_filled() {
        let mut vars = BTreeMap::new();
        vars.insert("user", "ci".to_string());
        vars.insert("key", "AKIAIOSFODNN7EXAMPLE".to_string());
        assert_eq!(
            fill("--user-name {user} --access-key-id {key}", &vars),
            "--user-name ci --access-key-id AKIAIOSFODNN7EXAMPLE"
        );
    }
}
