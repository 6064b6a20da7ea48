//! The auditor's view: findings about over-privilege, each with a stable id, a severity, the
//! principals involved, a witness path or the statements that prove it, and a concrete fix.
//!
//! Cloud-neutral checks work on the graph (`reach`): administrator-equivalent principals,
//! credentials and users that reach administrator control, escalation techniques. Checks that
//! need a provider's own facts (key ages, trust policies, last-accessed data) live with the
//! provider (`crate::aws::audit`). Every check only reads the graph and the snapshot; the
//! emitters in `crate::report::audit` only arrange what is found here.

pub mod lines;
mod reach;
pub mod view;

pub use reach::{Reaches, summarise as summarise_list};

use crate::analysis::Analysis;
use crate::graph::{EdgeId, Graph, NodeId, Reach, RecordRef, StatementRef};
use crate::rules::RuleSet;
use crate::snapshot::{LoadError, MissingSource, Snapshot};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// One step less severe: what holds only under undecided conditions weighs less.
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }

    /// One step lower when the finding holds only conditionally.
    pub fn for_reach(self, reach: Reach) -> Severity {
        match reach {
            Reach::Definite => self,
            Reach::Conditional => self.lower(),
        }
    }
}

/// A kind of finding: its id (stable, part of every finding id), what it means and the
/// severity it usually has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub severity: Severity,
}

/// Every check, in the order reports list them.
pub const CHECKS: &[Check] = &[
    Check {
        id: "admin.credential",
        title: "A credential reaches administrator control",
        description: "Whoever holds this credential can reach administrator-equivalent control of an account through the witness path. Findings of this check are ranked by the size of the credential's blast radius.",
        severity: Severity::Critical,
    },
    Check {
        id: "trust.oidc-without-subject",
        title: "A role trusts an OIDC provider without a subject condition",
        description: "The trust policy accepts tokens of an OpenID Connect provider without a condition on the token's subject (`sub`): every identity the provider issues tokens for can assume the role. For GitHub Actions that is every workflow of every repository on GitHub.",
        severity: Severity::Critical,
    },
    Check {
        id: "trust.everyone",
        title: "A role trusts every AWS principal",
        description: "The trust policy names `*` (or uses NotPrincipal): any principal of any AWS account may assume the role unless a condition stops it.",
        severity: Severity::Critical,
    },
    Check {
        id: "admin.user-without-mfa",
        title: "A user without MFA reaches administrator control",
        description: "The user has no MFA device and reaches administrator-equivalent control: a stolen password or key is enough.",
        severity: Severity::High,
    },
    Check {
        id: "admin.principal",
        title: "An administrator-equivalent principal",
        description: "The principal's effective permissions allow every action on every resource. Intended or not, every path to it is a path to control of the account.",
        severity: Severity::High,
    },
    Check {
        id: "escalation.technique",
        title: "A policy grants a privilege-escalation technique",
        description: "The policies of these principals allow every permission of a documented privilege-escalation technique (the rule id names it, see `blastmap rules list`).",
        severity: Severity::High,
    },
    Check {
        id: "trust.foreign-account",
        title: "A role trusts a whole foreign account without sts:ExternalId",
        description: "The trust policy names an account outside the snapshot and its organisation (its root or its id) without an `sts:ExternalId` condition: every principal that account lets assume roles can assume this one (the confused-deputy problem).",
        severity: Severity::High,
    },
    Check {
        id: "user.console-with-keys",
        title: "A console user also has active access keys",
        description: "A person who signs in with a password also holds long-lived access keys: keys are the credential that leaks (build logs, laptops, repositories).",
        severity: Severity::Medium,
    },
    Check {
        id: "key.unused",
        title: "An active access key unused for a long time",
        description: "The key is active but was not used for the threshold (90 days by default) or never: it is exposure without use.",
        severity: Severity::Medium,
    },
    Check {
        id: "key.old",
        title: "An active access key older than the rotation threshold",
        description: "The key is in use and older than the threshold (90 days by default): the longer a key lives, the more places it has been copied to.",
        severity: Severity::Low,
    },
    Check {
        id: "key.inactive",
        title: "An inactive access key that can be reactivated",
        description: "The key is inactive, not deleted: anyone allowed `iam:UpdateAccessKey` can reactivate it.",
        severity: Severity::Low,
    },
    Check {
        id: "permissions.unused",
        title: "Services granted but not used",
        description: "The principal's policies allow services that the last-accessed data shows unused for the threshold (90 days by default) or never.",
        severity: Severity::Low,
    },
];

pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// A witness: a path of edges from `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub start: NodeId,
    pub edges: Vec<EdgeId>,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Stable across runs: the check and a digest of what the finding is about (subject and
    /// discriminator), so that a finding keeps its id while the snapshot changes around it.
    pub id: String,
    pub check: &'static str,
    pub severity: Severity,
    /// Whether it holds whatever the request context (`None` for facts that are not reach).
    pub reach: Option<Reach>,
    /// One line for people.
    pub title: String,
    /// The node the finding is about.
    pub subject: NodeId,
    /// Every principal involved (the subject first when it is one).
    pub principals: Vec<NodeId>,
    pub path: Option<Witness>,
    /// Policy statements that prove it (the path's evidence is on its edges).
    pub evidence: Vec<StatementRef>,
    pub records: Vec<RecordRef>,
    /// Facts worth showing: ages, dates, radius sizes.
    pub facts: Vec<(&'static str, Fact)>,
    pub fix: String,
    /// Commands that carry out the fix (never run by blastmap).
    pub commands: Vec<String>,
    /// Order within a check, smaller first (credentials: by radius size).
    pub rank: i64,
}

impl Finding {
    /// A finding of `check` about `subject`; `discriminator` tells apart several findings of
    /// one check about one subject.
    pub fn new(
        graph: &Graph,
        check: &'static Check,
        subject: NodeId,
        discriminator: &str,
        severity: Severity,
        title: impl Into<String>,
    ) -> Finding {
        Finding {
            id: finding_id(check.id, &graph.node(subject).key, discriminator),
            check: check.id,
            severity,
            reach: None,
            title: title.into(),
            subject,
            principals: Vec::new(),
            path: None,
            evidence: Vec::new(),
            records: Vec::new(),
            facts: Vec::new(),
            fix: String::new(),
            commands: Vec::new(),
            rank: 0,
        }
    }

    pub fn fact(mut self, name: &'static str, value: impl Into<String>) -> Finding {
        self.facts.push((name, Fact::Text(value.into())));
        self
    }

    pub fn count(mut self, name: &'static str, value: i64) -> Finding {
        self.facts.push((name, Fact::Number(value)));
        self
    }

    pub fn flag(mut self, name: &'static str, value: bool) -> Finding {
        self.facts.push((name, Fact::Flag(value)));
        self
    }
}

/// The value of a fact: JSON keeps numbers and flags as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Text(String),
    Number(i64),
    Flag(bool),
}

impl std::fmt::Display for Fact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fact::Text(t) => f.write_str(t),
            Fact::Number(n) => write!(f, "{n}"),
            Fact::Flag(b) => write!(f, "{b}"),
        }
    }
}

/// `CHECK:` and 12 hex digits of SHA-256 over the check, the subject's id and the
/// discriminator.
pub fn finding_id(check: &str, subject: &str, discriminator: &str) -> String {
    let mut h = Sha256::new();
    for part in [check, subject, discriminator] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{check}:{hex}")
}

/// Thresholds and the time the audit is judged at.
#[derive(Debug, Clone)]
pub struct Options {
    /// The moment key ages and "unused for" are measured at.
    pub as_of: DateTime<Utc>,
    /// Where `as_of` comes from, for the report: `--as-of`, the manifest, the clock.
    pub as_of_source: String,
    /// A key or service unused for this many days or more is reported.
    pub unused_days: i64,
    /// A key older than this many days is reported for rotation.
    pub key_age_days: i64,
}

/// Everything an audit found, and what it could not look at.
#[derive(Debug)]
pub struct Audit {
    pub findings: Vec<Finding>,
    pub options: Options,
    /// Sources absent from the snapshot (as for every report) and inputs of single checks
    /// that were absent or partly unreadable.
    pub missing: Vec<MissingSource>,
}

impl Audit {
    /// Findings per severity, most severe first.
    pub fn counts(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .into_iter()
            .map(|s| (s, self.findings.iter().filter(|f| f.severity == s).count()))
            .collect()
    }

    /// Findings at or above `severity`.
    pub fn at_least(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= severity)
            .count()
    }
}

/// Runs every check on a built snapshot.
pub fn run(
    snapshot: &Snapshot,
    analysis: &Analysis,
    rules: &RuleSet,
    options: Options,
) -> Result<Audit, LoadError> {
    let graph = &analysis.graph;
    let mut reaches = Reaches::new(graph);
    let mut findings = Vec::new();
    findings.extend(reach::credentials_reaching_admin(graph, &mut reaches));
    findings.extend(reach::admin_principals(graph, &mut reaches));
    findings.extend(reach::users_without_mfa(graph, &mut reaches));
    findings.extend(reach::escalation_techniques(graph, rules));
    let aws = crate::aws::audit::run(snapshot, graph, &mut reaches, &options)?;
    findings.extend(aws.findings);
    crate::aws::audit::add_commands(graph, snapshot, &mut findings);

    let order = |id: &str| CHECKS.iter().position(|c| c.id == id).unwrap_or(usize::MAX);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(order(a.check).cmp(&order(b.check)))
            .then(a.rank.cmp(&b.rank))
            .then(
                graph
                    .node(a.subject)
                    .label
                    .cmp(&graph.node(b.subject).label),
            )
            .then(a.id.cmp(&b.id))
    });
    // Two findings must never share an id: the digest covers subject and discriminator,
    // but keep the guarantee explicit for consumers that deduplicate on it.
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert(f.id.clone()));

    let mut missing = analysis.missing.clone();
    missing.extend(aws.missing);
    Ok(Audit {
        findings,
        options,
        missing,
    })
}
