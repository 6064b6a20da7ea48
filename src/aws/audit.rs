//! Audit checks that need AWS's own facts: access keys (age, last use, status), console users
//! with keys, trust policies (OIDC without a subject, `*`, whole foreign accounts without
//! `sts:ExternalId`), and services unused according to the optional last-accessed file.
//! Administrator reach comes from the graph, through `audit::Reaches`.

use super::inventory::KeyStatus;
use super::model::{Account, Role, User};
use super::policy::document::{Actions, Effect, OperatorKind, Principals, Statement};
use super::policy::eval::action_matches;
use super::policy::{Policy, statement_ref};
use super::principal::{PolicyBook, Principal};
use crate::audit::{CHECKS, Check, Finding, Options, Reaches, Severity};
use crate::graph::{Graph, NodeId, Reach, RecordRef};
use crate::snapshot::{LoadError, MissingSource, Snapshot};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// The file of last-accessed data, per account; see docs/snapshot-format.md.
pub const LAST_ACCESSED: &str = "last-accessed.json";

/// What the AWS checks found and what they could not read.
pub struct AwsAudit {
    pub findings: Vec<Finding>,
    pub missing: Vec<MissingSource>,
}

fn check(id: &str) -> &'static Check {
    CHECKS.iter().find(|c| c.id == id).unwrap_or(&CHECKS[0])
}

pub fn run(
    snapshot: &Snapshot,
    graph: &Graph,
    reaches: &mut Reaches,
    options: &Options,
) -> Result<AwsAudit, LoadError> {
    let mut out = AwsAudit {
        findings: Vec::new(),
        missing: Vec::new(),
    };
    let book = PolicyBook::new(&snapshot.aws_accounts);
    let ids: BTreeSet<&str> = snapshot
        .aws_accounts
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    for account in &snapshot.aws_accounts {
        let dir = snapshot
            .root
            .is_dir()
            .then(|| snapshot.root.join("aws").join(&account.id));
        let slots = dir
            .as_deref()
            .map(|d| report_slots(&d.join("credential-report.csv")))
            .unwrap_or_default();
        keys(account, &slots, graph, reaches, options, &mut out.findings);
        console_with_keys(account, &slots, graph, reaches, &mut out.findings);
        for role in &account.roles {
            trust(
                account,
                role,
                &ids,
                snapshot.organization.as_ref(),
                graph,
                reaches,
                &mut out.findings,
            );
        }
        match &dir {
            Some(dir) if dir.join(LAST_ACCESSED).is_file() => last_accessed(
                account,
                &dir.join(LAST_ACCESSED),
                &book,
                graph,
                options,
                &mut out,
            )?,
            Some(_) => out.missing.push(MissingSource::new(
                format!("aws/{}/{LAST_ACCESSED}", account.id),
                "optional file absent",
                "unused permissions are not reported for this account",
            )),
            None => out.missing.push(MissingSource::new(
                format!("aws/{}/{LAST_ACCESSED}", account.id),
                "not in a single-file snapshot",
                "unused permissions are not reported",
            )),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Access keys

/// One access-key slot of the credential report (`access_key_1_*`, `access_key_2_*`).
#[derive(Debug, Clone, Default)]
struct Slot {
    slot: u8,
    active: bool,
    rotated: Option<DateTime<Utc>>,
    /// `Some(None)`: the report says never used (`N/A`); `None`: no report.
    last_used: Option<Option<DateTime<Utc>>>,
}

/// Credential-report slots by user name. The loader keeps only what the graph needs; the
/// audit reads the rotation and last-use dates again, tolerantly: a row or a date that does
/// not read is left out (the loader already refused a malformed file).
fn report_slots(path: &Path) -> HashMap<String, Vec<Slot>> {
    let mut out: HashMap<String, Vec<Slot>> = HashMap::new();
    let Ok(bytes) = std::fs::read(path) else {
        return out;
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let Ok(headers) = reader.headers().cloned() else {
        return out;
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    for record in reader.records().flatten() {
        let get = |name: &str| col(name).and_then(|i| record.get(i)).unwrap_or("");
        let user = get("user").to_string();
        for n in [1u8, 2] {
            let active = get(&format!("access_key_{n}_active")) == "true";
            let rotated = parse_time(get(&format!("access_key_{n}_last_rotated")));
            let used = get(&format!("access_key_{n}_last_used_date"));
            let last_used = match used {
                "N/A" | "no_information" => Some(None),
                "" => None,
                text => parse_time(text).map(Some),
            };
            if active || rotated.is_some() {
                out.entry(user.clone()).or_default().push(Slot {
                    slot: n,
                    active,
                    rotated,
                    last_used,
                });
            }
        }
    }
    out
}

/// RFC 3339 (`Z` or `+00:00`), or a bare `YYYY-MM-DDTHH:MM:SS` taken as UTC.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|t| t.and_utc())
        })
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_days()
}

fn date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether the credential reaches administrator control definitely, conditionally, or not.
fn admin_reach(reaches: &mut Reaches, node: NodeId) -> Option<Reach> {
    reaches.admin(node).first().map(|a| a.reach)
}

fn keys(
    account: &Account,
    slots: &HashMap<String, Vec<Slot>>,
    graph: &Graph,
    reaches: &mut Reaches,
    options: &Options,
    findings: &mut Vec<Finding>,
) {
    let file = format!("aws/{}/access-keys.json", account.id);
    for key in &account.keys {
        let Some(node) = graph.find_key(&key.id) else {
            continue;
        };
        // The report's slot for this key: the one rotated at the key's creation time.
        let slot = slots.get(&key.user).and_then(|list| {
            list.iter()
                .find(|s| key.created.is_some() && s.rotated == key.created.map(|c| c.0))
        });
        let created = key.created.map(|c| c.0).or(slot.and_then(|s| s.rotated));
        let last_used: Option<Option<DateTime<Utc>>> = match &key.last_used {
            Some(l) => Some(l.last_used_date.map(|d| d.0)),
            None => slot.and_then(|s| s.last_used),
        };
        let subject = KeySubject {
            node,
            id: &key.id,
            user: &key.user,
            created,
            last_used,
            record: RecordRef::new(&file, &key.pointer, "access key listing"),
        };
        match key.status {
            KeyStatus::Active => {
                active_key(&subject, graph, reaches, options, findings);
            }
            KeyStatus::Inactive | KeyStatus::Expired => {
                let status = if key.status == KeyStatus::Inactive {
                    "Inactive"
                } else {
                    "Expired"
                };
                let mut f = Finding::new(
                    graph,
                    check("key.inactive"),
                    node,
                    "",
                    Severity::Low,
                    format!(
                        "access key {} of user {} is {status}, not deleted",
                        key.id, key.user
                    ),
                );
                f = key_facts(f, &subject, options);
                f = f.fact("status", status);
                f.records.push(subject.record.clone());
                f.principals = user_node(graph, account, &key.user).into_iter().collect();
                f.fix = format!(
                    "Delete the key: while it exists, anyone allowed iam:UpdateAccessKey on user {} can make it authenticate again.",
                    key.user
                );
                f.commands.push(delete_key(&key.user, &key.id));
                findings.push(f);
            }
        }
    }
    // Without access-keys.json the report's slots are all there is: judge them on the user.
    if !account.has_access_keys {
        for user in &account.users {
            let Some(node) = graph.find_key(&user.arn) else {
                continue;
            };
            for slot in slots.get(&user.name).into_iter().flatten() {
                if !slot.active {
                    continue;
                }
                let id = format!("access key {} of user {}", slot.slot, user.name);
                let subject = KeySubject {
                    node,
                    id: &id,
                    user: &user.name,
                    created: slot.rotated,
                    last_used: slot.last_used,
                    record: RecordRef::new(
                        format!("aws/{}/credential-report.csv", account.id),
                        format!("/{}/access_key_{}_active", user.name, slot.slot),
                        "credential report row",
                    ),
                };
                active_key(&subject, graph, reaches, options, findings);
            }
        }
    }
}

struct KeySubject<'a> {
    node: NodeId,
    /// The key id, or "access key N of user U" when only the credential report names it.
    id: &'a str,
    user: &'a str,
    created: Option<DateTime<Utc>>,
    last_used: Option<Option<DateTime<Utc>>>,
    record: RecordRef,
}

fn key_facts(mut f: Finding, k: &KeySubject, options: &Options) -> Finding {
    f = f.fact("user", k.user);
    if let Some(c) = k.created {
        f = f.fact("created", date(c));
        f = f.count("age_days", days(c, options.as_of));
    }
    match k.last_used {
        Some(Some(t)) => {
            f = f.fact("last_used", date(t));
            f = f.count("days_since_use", days(t, options.as_of));
        }
        Some(None) => f = f.fact("last_used", "never"),
        None => {
            f = f.fact(
                "last_used",
                "unknown (no LastUsed and no credential report)",
            )
        }
    }
    f
}

fn active_key(
    k: &KeySubject,
    graph: &Graph,
    reaches: &mut Reaches,
    options: &Options,
    findings: &mut Vec<Finding>,
) {
    let age = k.created.map(|c| days(c, options.as_of));
    let idle = match k.last_used {
        Some(Some(t)) => Some(days(t, options.as_of)),
        // Never used: idle since it was created.
        Some(None) => age,
        None => None,
    };
    let admin = admin_reach(reaches, k.node);
    let admin_note = match admin {
        Some(r) => format!(
            " It reaches administrator control ({}): see its admin.credential finding.",
            r.as_str()
        ),
        None => String::new(),
    };
    let is_key = graph.node(k.node).kind == crate::graph::NodeKind::Credential;
    let discriminator = if is_key { "" } else { k.id };
    if let Some(idle) = idle.filter(|d| *d >= options.unused_days) {
        let never = matches!(k.last_used, Some(None));
        let base = if admin == Some(Reach::Definite) {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut f = Finding::new(
            graph,
            check("key.unused"),
            k.node,
            discriminator,
            base,
            if never {
                format!(
                    "active {} was never used ({idle} days since it was created)",
                    key_name(k)
                )
            } else {
                format!("active {} unused for {idle} days", key_name(k))
            },
        );
        f = key_facts(f, k, options);
        f.records.push(k.record.clone());
        f.fix = format!(
            "Delete the key: nothing used it for {idle} days, and a key that is not used cannot be missed.{admin_note}"
        );
        if is_key {
            f.commands.push(delete_key(k.user, k.id));
        } else {
            f.commands.push(format!(
                "aws iam list-access-keys --user-name {}   # find the key id, then aws iam delete-access-key",
                k.user
            ));
        }
        findings.push(f);
        return;
    }
    if let Some(age) = age.filter(|d| *d >= options.key_age_days) {
        let base = if admin == Some(Reach::Definite) {
            Severity::Medium
        } else {
            Severity::Low
        };
        let mut f = Finding::new(
            graph,
            check("key.old"),
            k.node,
            discriminator,
            base,
            format!(
                "active {} is {age} days old (threshold {} days)",
                key_name(k),
                options.key_age_days
            ),
        );
        f = key_facts(f, k, options);
        f.records.push(k.record.clone());
        f.fix = format!(
            "Rotate the key: create a new one, move its users to it, deactivate the old one, and delete it once nothing fails. Better still, replace it with a role the workload assumes.{admin_note}"
        );
        f.commands
            .push(format!("aws iam create-access-key --user-name {}", k.user));
        if is_key {
            f.commands.push(format!(
                "aws iam update-access-key --user-name {} --access-key-id {} --status Inactive",
                k.user, k.id
            ));
            f.commands.push(delete_key(k.user, k.id));
        }
        findings.push(f);
    }
}

fn key_name(k: &KeySubject) -> String {
    if k.id.starts_with("access key ") {
        k.id.to_string()
    } else {
        format!("access key {} of user {}", k.id, k.user)
    }
}

fn delete_key(user: &str, key: &str) -> String {
    format!("aws iam delete-access-key --user-name {user} --access-key-id {key}")
}

fn user_node(graph: &Graph, account: &Account, name: &str) -> Option<NodeId> {
    account
        .users
        .iter()
        .find(|u| u.name == name)
        .and_then(|u| graph.find_key(&u.arn))
}

/// Users with a console password and active keys.
fn console_with_keys(
    account: &Account,
    slots: &HashMap<String, Vec<Slot>>,
    graph: &Graph,
    reaches: &mut Reaches,
    findings: &mut Vec<Finding>,
) {
    let Some(report) = &account.credential_report else {
        return;
    };
    for user in &account.users {
        let Some(row) = report.get(&user.name) else {
            continue;
        };
        if !row.has_password() {
            continue;
        }
        let active: Vec<&str> = if account.has_access_keys {
            account
                .keys
                .iter()
                .filter(|k| k.user == user.name && k.status == KeyStatus::Active)
                .map(|k| k.id.as_str())
                .collect()
        } else {
            Vec::new()
        };
        let slots_active = slots
            .get(&user.name)
            .map(|s| s.iter().filter(|s| s.active).count())
            .unwrap_or(0);
        let count = if account.has_access_keys {
            active.len()
        } else {
            slots_active
        };
        if count == 0 {
            continue;
        }
        let Some(node) = graph.find_key(&user.arn) else {
            continue;
        };
        let admin = admin_reach(reaches, node);
        let base = if admin == Some(Reach::Definite) {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut f = Finding::new(
            graph,
            check("user.console-with-keys"),
            node,
            "",
            base,
            format!(
                "user/{} signs in to the console and has {count} active access key{}",
                user.name,
                if count == 1 { "" } else { "s" }
            ),
        );
        f.principals = vec![node];
        f = f.flag("mfa", row.has_mfa());
        f = f.fact("active_keys", active.join(", "));
        if let Some(r) = admin {
            f = f.fact("reaches_admin", r.as_str());
        }
        f.records.push(RecordRef::new(
            format!("aws/{}/credential-report.csv", account.id),
            format!("/{}", user.name),
            "credential report row",
        ));
        f.fix = format!(
            "Give the person short-lived credentials instead (IAM Identity Center, or sessions from `aws sts get-session-token` with MFA) and delete the key{}.",
            if count == 1 { "" } else { "s" }
        );
        f.commands = active.iter().map(|k| delete_key(&user.name, k)).collect();
        findings.push(f);
    }
}

// ---------------------------------------------------------------------------------------------
// Trust policies

/// Condition keys that pin down who the caller is: a trust of `*` limited by one of these is
/// not open to everyone.
const CALLER_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:userid",
    "aws:username",
    "aws:principalservicename",
    "sts:externalid",
];

/// A clause that requires the key to match something (not a negated operator, not `Null`).
fn requires<'s>(statement: &'s Statement, key: &str) -> Vec<&'s [String]> {
    statement
        .conditions
        .iter()
        .filter(|c| {
            c.key_lower == key
                && !c.operator.kind.is_negated()
                && c.operator.kind != OperatorKind::Null
        })
        .map(|c| c.values.as_slice())
        .collect()
}

fn trust(
    account: &Account,
    role: &Role,
    accounts: &BTreeSet<&str>,
    organization: Option<&super::organization::Organization>,
    graph: &Graph,
    reaches: &mut Reaches,
    findings: &mut Vec<Finding>,
) {
    let (Some(policy), Some(node)) = (&role.trust, graph.find_key(&role.arn)) else {
        return;
    };
    if role.is_service_linked() {
        return;
    }
    for statement in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let everyone = match statement.principal.as_deref() {
            Some(Principals::AllBut(_)) => true,
            Some(Principals::Only(set)) => set.everyone || set.aws.iter().any(|a| a == "*"),
            None => false,
        };
        if everyone {
            open_trust(role, policy, statement, node, graph, reaches, findings);
        }
        let Some(Principals::Only(set)) = statement.principal.as_deref() else {
            continue;
        };
        for provider in &set.federated {
            if let Some((_, host)) = provider.split_once(":oidc-provider/") {
                if action_matches(&statement.actions, "sts:AssumeRoleWithWebIdentity") {
                    oidc(
                        role, policy, statement, provider, host, node, graph, reaches, findings,
                    );
                }
            }
        }
        for name in &set.aws {
            let Some(foreign) = whole_account(name) else {
                continue;
            };
            let in_org = organization.is_some_and(|o| o.contains(foreign));
            if foreign == account.id || accounts.contains(foreign) || in_org {
                continue;
            }
            foreign_account(
                role, policy, statement, foreign, node, graph, reaches, findings,
            );
        }
    }
}

/// The account a principal entry names as a whole: `123456789012` or
/// `arn:aws:iam::123456789012:root`.
fn whole_account(name: &str) -> Option<&str> {
    let digits = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if digits(name) {
        return Some(name);
    }
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", acct, "root"] if digits(acct) => Some(acct),
        _ => None,
    }
}

fn role_admin_fact(f: Finding, reaches: &mut Reaches, node: NodeId) -> Finding {
    let reach = admin_reach(reaches, node);
    f.fact(
        "role_reaches_admin",
        reach.map(|r| r.as_str()).unwrap_or("no"),
    )
}

fn update_trust_command(role: &Role) -> String {
    format!(
        "aws iam update-assume-role-policy --role-name {} --policy-document file://trust-{}.json",
        role.name, role.name
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "one trust statement and where it sits"
)]
fn oidc(
    role: &Role,
    policy: &Policy,
    statement: &Statement,
    provider: &str,
    host: &str,
    node: NodeId,
    graph: &Graph,
    reaches: &mut Reaches,
    findings: &mut Vec<Finding>,
) {
    let host_lower = host.to_lowercase();
    let sub_key = format!("{host_lower}:sub");
    let github = host_lower == "token.actions.githubusercontent.com";
    let sub = requires(statement, &sub_key);
    // A subject that any token matches restricts nothing.
    let wildcard_only = |values: &[String]| {
        values.iter().all(|v| {
            let v = v.trim();
            v.is_empty() || v.starts_with('*') || (github && v.starts_with("repo:*"))
        })
    };
    let restricted = sub.iter().any(|values| !wildcard_only(values));
    if restricted {
        return;
    }
    let aud = !requires(statement, &format!("{host_lower}:aud")).is_empty();
    let who = if github {
        "any GitHub Actions workflow of any repository on GitHub"
    } else if host_lower.contains(".eks.") || host_lower.starts_with("oidc.eks") {
        "any service account of the cluster"
    } else {
        "any identity the provider issues tokens for"
    };
    let what = if sub.is_empty() {
        "without a condition on the subject (`sub`)"
    } else {
        "with a subject condition that matches every subject"
    };
    let base = if github {
        Severity::Critical
    } else {
        Severity::High
    };
    let mut f = Finding::new(
        graph,
        check("trust.oidc-without-subject"),
        node,
        statement.pointer(),
        base,
        format!(
            "role/{} trusts {host} {what}: {who} can assume it",
            role.name
        ),
    );
    f.reach = Some(Reach::Definite);
    f.principals = std::iter::once(node)
        .chain(graph.find_key(provider))
        .collect();
    f.evidence.push(statement_ref(policy, statement));
    f = f.fact("provider", provider);
    f = f.flag("audience_condition", aud);
    f = role_admin_fact(f, reaches, node);
    let example = if github {
        format!("\"StringLike\": {{\"{host}:sub\": \"repo:OWNER/REPO:ref:refs/heads/main\"}}")
    } else if host_lower.contains(".eks.") || host_lower.starts_with("oidc.eks") {
        format!("\"StringEquals\": {{\"{host}:sub\": \"system:serviceaccount:NAMESPACE:NAME\"}}")
    } else {
        format!("\"StringEquals\": {{\"{host}:sub\": \"SUBJECT\"}}")
    };
    f.fix = format!(
        "Add a condition on the token's subject to statement {} of the trust policy of role/{}, naming the exact workload: {example}{}.",
        statement.pointer(),
        role.name,
        if aud {
            String::new()
        } else {
            format!(" (and on the audience, `{host}:aud`)")
        }
    );
    f.commands.push(update_trust_command(role));
    findings.push(f);
}

fn open_trust(
    role: &Role,
    policy: &Policy,
    statement: &Statement,
    node: NodeId,
    graph: &Graph,
    reaches: &mut Reaches,
    findings: &mut Vec<Finding>,
) {
    let pins_caller = CALLER_KEYS
        .iter()
        .any(|k| !requires(statement, k).is_empty());
    if pins_caller {
        return;
    }
    let keys: Vec<&str> = statement
        .conditions
        .iter()
        .map(|c| c.key.as_str())
        .collect();
    let (severity, limited) = if keys.is_empty() {
        (Severity::Critical, "with no condition".to_string())
    } else {
        (
            Severity::High,
            format!("limited only by {}", keys.join(", ")),
        )
    };
    let mut f = Finding::new(
        graph,
        check("trust.everyone"),
        node,
        statement.pointer(),
        severity,
        format!("role/{} trusts every AWS principal {limited}", role.name),
    );
    f.reach = Some(if keys.is_empty() {
        Reach::Definite
    } else {
        Reach::Conditional
    });
    f.principals = vec![node];
    f.evidence.push(statement_ref(policy, statement));
    f = role_admin_fact(f, reaches, node);
    f.fix = format!(
        "Replace `*` in statement {} of the trust policy of role/{} with the ARNs of the principals that need it, or add a condition that pins the caller (`aws:PrincipalOrgID` for your organisation, `sts:ExternalId` for a third party).",
        statement.pointer(),
        role.name
    );
    f.commands.push(update_trust_command(role));
    findings.push(f);
}

#[expect(
    clippy::too_many_arguments,
    reason = "one trust statement and where it sits"
)]
fn foreign_account(
    role: &Role,
    policy: &Policy,
    statement: &Statement,
    foreign: &str,
    node: NodeId,
    graph: &Graph,
    reaches: &mut Reaches,
    findings: &mut Vec<Finding>,
) {
    if !requires(statement, "sts:externalid").is_empty() {
        return;
    }
    let keys: Vec<&str> = statement
        .conditions
        .iter()
        .map(|c| c.key.as_str())
        .collect();
    let severity = if keys.is_empty() {
        Severity::High
    } else {
        Severity::Medium
    };
    let mut f = Finding::new(
        graph,
        check("trust.foreign-account"),
        node,
        &format!("{}\u{1f}{foreign}", statement.pointer()),
        severity,
        format!(
            "role/{} trusts the whole account {foreign}, outside the snapshot and its organisation, without sts:ExternalId{}",
            role.name,
            if keys.is_empty() {
                String::new()
            } else {
                format!(" (conditions: {})", keys.join(", "))
            }
        ),
    );
    f.reach = Some(Reach::Definite);
    f.principals = vec![node];
    f.evidence.push(statement_ref(policy, statement));
    f = f.fact("foreign_account", foreign);
    f = role_admin_fact(f, reaches, node);
    f.fix = format!(
        "If account {foreign} is a third party, agree an external id with it and add \"StringEquals\": {{\"sts:ExternalId\": \"ID\"}} to statement {} of the trust policy of role/{}; otherwise name the one role of {foreign} that needs access (arn:aws:iam::{foreign}:role/NAME) instead of the whole account.",
        statement.pointer(),
        role.name
    );
    f.commands.push(update_trust_command(role));
    findings.push(f);
}

// ---------------------------------------------------------------------------------------------
// Last-accessed data

/// Services whose last use counts as sensitive: unused grants of these matter more.
const SENSITIVE: &[&str] = &["iam", "sts", "organizations", "kms", "secretsmanager"];

/// One principal's entry of the last-accessed file, as read.
struct Accessed {
    pointer: String,
    arn: String,
    /// (namespace, service name, last authenticated; `None` = never).
    services: Vec<(String, String, Option<DateTime<Utc>>)>,
}

/// Reads `last-accessed.json` tolerantly: the file must be JSON, but entries, fields and dates
/// that do not read are skipped and listed as missing sources instead of stopping the audit.
fn read_last_accessed(
    path: &Path,
    relative: &str,
    missing: &mut Vec<MissingSource>,
) -> Result<Vec<Accessed>, LoadError> {
    let bytes = super::load::read(path)?;
    let value: Value = crate::snapshot::json::from_slice(path, &bytes)?;
    let (entries, base): (Vec<&Value>, &str) = match &value {
        Value::Array(list) => (list.iter().collect(), ""),
        Value::Object(map) => match map.get("Principals").or_else(|| map.get("Entities")) {
            Some(Value::Array(list)) => (
                list.iter().collect(),
                if map.contains_key("Principals") {
                    "/Principals"
                } else {
                    "/Entities"
                },
            ),
            // One `get-service-last-accessed-details` output with its `Arn` added.
            _ if map.contains_key("ServicesLastAccessed") => (vec![&value], ""),
            _ => (Vec::new(), ""),
        },
        _ => (Vec::new(), ""),
    };
    if entries.is_empty() {
        missing.push(MissingSource::new(
            relative,
            "no `Principals` array of last-accessed entries",
            "unused permissions are not reported for this account",
        ));
    }
    let single = entries.len() == 1 && base.is_empty() && !value.is_array();
    let mut out = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let pointer = if single {
            String::new()
        } else {
            format!("{base}/{i}")
        };
        let skip = |missing: &mut Vec<MissingSource>, why: String| {
            missing.push(MissingSource::new(
                format!("{relative}#{pointer}"),
                why,
                "unused services of this principal are not reported",
            ));
        };
        let arn = ["Arn", "PrincipalArn", "EntityArn"]
            .iter()
            .find_map(|k| entry.get(*k).and_then(Value::as_str));
        let Some(arn) = arn else {
            skip(missing, "entry names no `Arn`".into());
            continue;
        };
        if let Some(status) = entry.get("JobStatus").and_then(Value::as_str) {
            if !status.eq_ignore_ascii_case("COMPLETED") {
                skip(missing, format!("job status `{status}`, not COMPLETED"));
                continue;
            }
        }
        let Some(list) = entry.get("ServicesLastAccessed").and_then(Value::as_array) else {
            skip(missing, "entry has no `ServicesLastAccessed` array".into());
            continue;
        };
        let mut services = Vec::new();
        for (j, s) in list.iter().enumerate() {
            let Some(namespace) = s.get("ServiceNamespace").and_then(Value::as_str) else {
                continue;
            };
            let name = s
                .get("ServiceName")
                .and_then(Value::as_str)
                .unwrap_or(namespace);
            let last = match s.get("LastAuthenticated") {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => match parse_time(text) {
                    Some(t) => Some(t),
                    None => {
                        missing.push(MissingSource::new(
                            format!("{relative}#{pointer}/ServicesLastAccessed/{j}"),
                            format!("`{text}` is not a timestamp"),
                            format!("whether {namespace} is unused is not reported"),
                        ));
                        continue;
                    }
                },
                Some(_) => continue,
            };
            services.push((namespace.to_lowercase(), name.to_string(), last));
        }
        out.push(Accessed {
            pointer,
            arn: arn.to_string(),
            services,
        });
    }
    Ok(out)
}

fn last_accessed(
    account: &Account,
    path: &Path,
    book: &PolicyBook,
    graph: &Graph,
    options: &Options,
    out: &mut AwsAudit,
) -> Result<(), LoadError> {
    let relative = format!("aws/{}/{LAST_ACCESSED}", account.id);
    let entries = read_last_accessed(path, &relative, &mut out.missing)?;
    for entry in entries {
        let Some(node) = graph.find_key(&entry.arn) else {
            out.missing.push(MissingSource::new(
                format!("{relative}#{}", entry.pointer),
                format!("`{}` is not a user or role of gaad.json", entry.arn),
                "unused services of this principal are not reported",
            ));
            continue;
        };
        let unused: Vec<&(String, String, Option<DateTime<Utc>>)> = entry
            .services
            .iter()
            .filter(|(_, _, last)| {
                last.is_none_or(|t| days(t, options.as_of) >= options.unused_days)
            })
            .collect();
        if unused.is_empty() {
            continue;
        }
        let principal = account
            .users
            .iter()
            .find(|u| u.arn == entry.arn)
            .map(|u: &User| Principal::user(account, u, book))
            .or_else(|| {
                account
                    .roles
                    .iter()
                    .find(|r| r.arn == entry.arn)
                    .map(|r| Principal::role(account, r, book))
            });
        let namespaces: BTreeSet<&str> = unused.iter().map(|(n, _, _)| n.as_str()).collect();
        let mut evidence = Vec::new();
        if let Some(p) = &principal {
            for policy in &p.identity {
                for s in policy
                    .statements
                    .iter()
                    .filter(|s| s.effect == Effect::Allow)
                {
                    if namespaces.iter().any(|n| grants_service(&s.actions, n)) {
                        evidence.push(statement_ref(policy, s));
                    }
                }
            }
        }
        let sensitive = namespaces.iter().any(|n| SENSITIVE.contains(n));
        let label = &graph.node(node).label;
        let names: Vec<String> = unused
            .iter()
            .map(|(n, _, last)| match last {
                Some(t) => format!("{n} (last {})", t.format("%Y-%m-%d")),
                None => format!("{n} (never)"),
            })
            .collect();
        let mut f = Finding::new(
            graph,
            check("permissions.unused"),
            node,
            "",
            if sensitive {
                Severity::Medium
            } else {
                Severity::Low
            },
            format!(
                "{label} has {} of {} granted services unused for {} days or more",
                unused.len(),
                entry.services.len(),
                options.unused_days
            ),
        );
        f.principals = vec![node];
        f.evidence = evidence;
        f.records.push(RecordRef::new(
            &relative,
            &entry.pointer,
            "last-accessed details",
        ));
        f = f.fact("unused_services", crate::audit::summarise_list(&names, 12));
        f = f.count("unused_count", unused.len() as i64);
        f = f.count("granted_count", entry.services.len() as i64);
        f.fix = format!(
            "Remove the actions of {} from the policies of {label} (the statements listed grant them); AWS records service use for up to 400 days, so a service unused that long is not needed.",
            crate::audit::summarise_list(
                &namespaces.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                12
            )
        );
        out.findings.push(f);
    }
    Ok(())
}

/// Whether an `Action`/`NotAction` list may allow some action of service `namespace`.
fn grants_service(actions: &Actions, namespace: &str) -> bool {
    let service_of = |pattern: &str| -> String {
        pattern
            .split_once(':')
            .map(|(s, _)| s.to_string())
            .unwrap_or_else(|| pattern.to_string())
    };
    match actions {
        Actions::Only(list) => list
            .iter()
            .any(|a| super::policy::pattern::matches(&service_of(a), namespace, true)),
        // NotAction allows every service but the ones it names in full (`iam:*`).
        Actions::AllBut(list) => !list
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&format!("{namespace}:*"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Commands for graph findings

/// Adds AWS CLI commands to the cloud-neutral findings about AWS principals: detaching the
/// policies that make a principal administrator-equivalent.
pub fn add_commands(graph: &Graph, snapshot: &Snapshot, findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.check == "admin.principal") {
        let node = graph.node(f.subject);
        if node.provider != super::lower::PROVIDER {
            continue;
        }
        let Some(account) = snapshot
            .aws_accounts
            .iter()
            .find(|a| Some(a.id.as_str()) == node.account.as_deref())
        else {
            continue;
        };
        let mut commands = Vec::new();
        for s in f.evidence.iter().filter(|s| s.effect == "allow") {
            if let Some(c) = detach_command(account, &node.key, &s.policy) {
                if !commands.contains(&c) {
                    commands.push(c);
                }
            }
        }
        f.commands = commands;
    }
}

/// The command that takes a policy (a managed policy's ARN, or `OWNER inline NAME`) away from
/// the principal `arn`: from itself, or from the group that gives it.
fn detach_command(account: &Account, arn: &str, policy: &str) -> Option<String> {
    if let Some((owner, name)) = policy.split_once(" inline ") {
        let (kind, owner_name) = owner
            .split_once(":user/")
            .map(|(_, n)| ("user", n))
            .or_else(|| {
                owner
                    .split_once(":role/")
                    .map(|(_, n)| ("role", n))
                    .or_else(|| owner.split_once(":group/").map(|(_, n)| ("group", n)))
            })?;
        let short = owner_name.rsplit('/').next().unwrap_or(owner_name);
        return Some(format!(
            "aws iam delete-{kind}-policy --{kind}-name {short} --policy-name {name}"
        ));
    }
    if !policy.starts_with("arn:") {
        return None;
    }
    if let Some(user) = account.users.iter().find(|u| u.arn == arn) {
        if user.attached.iter().any(|p| p == policy) {
            return Some(format!(
                "aws iam detach-user-policy --user-name {} --policy-arn {policy}",
                user.name
            ));
        }
        let group = user.groups.iter().find(|g| {
            account
                .groups
                .iter()
                .any(|x| &x.name == *g && x.attached.iter().any(|p| p == policy))
        })?;
        return Some(format!(
            "aws iam detach-group-policy --group-name {group} --policy-arn {policy}   # or remove user {} from the group",
            user.name
        ));
    }
    let role = account.roles.iter().find(|r| r.arn == arn)?;
    role.attached.iter().any(|p| p == policy).then(|| {
        format!(
            "aws iam detach-role-policy --role-name {} --policy-arn {policy}",
            role.name
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_accounts_are_roots_and_bare_ids() {
        assert_eq!(whole_account("444455556666"), Some("444455556666"));
        assert_eq!(
            whole_account("arn:aws:iam::444455556666:root"),
            Some("444455556666")
        );
        assert_eq!(whole_account("arn:aws:iam::444455556666:role/x"), None);
        assert_eq!(whole_account("*"), None);
    }

    #[test]
    fn times_read_with_or_without_a_zone() {
        assert!(parse_time("2026-11-20T09:00:00Z").is_some());
        assert!(parse_time("2026-11-20T09:00:00+00:00").is_some());
        assert!(parse_time("2026-11-20T09:00:00").is_some());
        assert!(parse_time("N/A").is_none());
    }

    #[test]
    fn services_granted_by_action_lists() {
        let only = Actions::Only(vec!["s3:Get*".into(), "ec2:*".into()]);
        assert!(grants_service(&only, "s3"));
        assert!(!grants_service(&only, "iam"));
        assert!(grants_service(&Actions::Only(vec!["*".into()]), "iam"));
        let but = Actions::AllBut(vec!["iam:*".into()]);
        assert!(!grants_service(&but, "iam"));
        assert!(grants_service(&but, "s3"));
    }
}
