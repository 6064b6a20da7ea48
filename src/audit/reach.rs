//! Cloud-neutral checks on the graph: who holds or reaches administrator control, and which
//! escalation techniques policies grant. Reach comes from `query::radius`; the only search
//! here is the "does this one step cut every path" test behind each fix.

use super::{CHECKS, Check, Finding, Severity, Witness};
use crate::graph::{EdgeId, EdgeKind, Graph, NodeId, NodeKind, Reach, StatementRef};
use crate::query::{radius, reaches_without};
use crate::rules::RuleSet;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

fn check(id: &str) -> &'static Check {
    // The ids below are the constants of CHECKS; a typo is caught by the tests of this module.
    CHECKS.iter().find(|c| c.id == id).unwrap_or(&CHECKS[0])
}

/// Administrator control one node reaches: the account-control node, how, and the witness.
#[derive(Debug, Clone)]
pub struct AdminReach {
    pub control: NodeId,
    pub reach: Reach,
    pub path: Vec<EdgeId>,
}

/// What the audit keeps of one node's radius: its administrator reach and its size by kind,
/// a few hundred bytes whatever the radius (an organisation's audit looks at thousands of
/// credentials, some reaching a hundred thousand nodes).
#[derive(Debug, Clone)]
pub struct Profile {
    /// Every account control reached, definite ones first, then by witness length.
    pub admin: Vec<AdminReach>,
    /// Nodes reached, in all and by kind.
    pub total: usize,
    pub by_kind: BTreeMap<&'static str, usize>,
}

/// Profiles of radii computed on demand and kept, and which nodes may reach an account
/// control at all (so that most nodes never need a radius).
pub struct Reaches<'g> {
    graph: &'g Graph,
    profiles: HashMap<NodeId, Profile>,
    /// By node index: some path of any edges leads to an account control.
    toward_admin: Vec<bool>,
}

impl<'g> Reaches<'g> {
    /// O(V + E): one backward search from every account control.
    pub fn new(graph: &'g Graph) -> Self {
        let mut toward_admin = vec![false; graph.node_bound()];
        let mut queue: VecDeque<NodeId> = graph.nodes_of_kind(NodeKind::AccountControl).collect();
        for &c in &queue {
            toward_admin[c.index()] = true;
        }
        while let Some(node) = queue.pop_front() {
            for (_, source) in graph.in_edges(node) {
                if !toward_admin[source.index()] {
                    toward_admin[source.index()] = true;
                    queue.push_back(source);
                }
            }
        }
        Reaches {
            graph,
            profiles: HashMap::new(),
            toward_admin,
        }
    }

    /// Whether some path, definite or not, leads from `node` to an account control.
    pub fn may_reach_admin(&self, node: NodeId) -> bool {
        self.toward_admin
            .get(node.index())
            .copied()
            .unwrap_or(false)
    }

    /// The profile of `node`'s radius, computed once.
    pub fn profile(&mut self, node: NodeId) -> &Profile {
        let graph = self.graph;
        self.profiles.entry(node).or_insert_with(|| {
            let radius = radius(graph, node);
            let mut admin: Vec<AdminReach> = radius
                .reached
                .iter()
                .filter(|r| graph.node(r.node).kind == NodeKind::AccountControl)
                .map(|r| AdminReach {
                    control: r.node,
                    reach: r.reach,
                    path: radius.path(r),
                })
                .collect();
            admin.sort_by_key(|a| (a.reach, a.path.len()));
            let mut by_kind = BTreeMap::new();
            for x in &radius.reached {
                *by_kind.entry(graph.node(x.node).kind.as_str()).or_default() += 1;
            }
            Profile {
                admin,
                total: radius.reached.len(),
                by_kind,
            }
        })
    }

    /// Every account control `node` reaches, definite ones first, then by witness length.
    pub fn admin(&mut self, node: NodeId) -> Vec<AdminReach> {
        if !self.may_reach_admin(node) {
            return Vec::new();
        }
        self.profile(node).admin.clone()
    }

    /// For each of `targets` reached from some credential without passing through account
    /// control: the credentials that reach it and how. Only credentials that may reach admin
    /// themselves are searched, one radius at a time.
    pub fn by_credential(
        &self,
        targets: &HashSet<NodeId>,
    ) -> HashMap<NodeId, Vec<(NodeId, Reach)>> {
        let graph = self.graph;
        let mut map: HashMap<NodeId, Vec<(NodeId, Reach)>> = HashMap::new();
        let credentials = graph
            .nodes_of_kind(NodeKind::Credential)
            .filter(|&c| self.may_reach_admin(c));
        for cred in credentials {
            let radius = radius(graph, cred);
            for r in radius.reached.iter().filter(|r| targets.contains(&r.node)) {
                let via_control = radius
                    .edges_back(r)
                    .any(|e| graph.edge(e).kind == EdgeKind::Controls);
                if !via_control {
                    map.entry(r.node).or_default().push((cred, r.reach));
                }
            }
        }
        map
    }
}

/// `user/a assumes session of role/b`.
pub fn step_text(graph: &Graph, edge: EdgeId) -> String {
    let (from, to) = graph.endpoints(edge);
    let e = graph.edge(edge);
    let phrase = match (&e.evidence.rule, e.kind) {
        (Some(rule), EdgeKind::EscalatesTo) => format!("escalates ({rule}) to"),
        _ => e.kind.phrase().to_string(),
    };
    format!(
        "{} {phrase} {}",
        graph.node(from).label,
        graph.node(to).label
    )
}

/// The policies a principal holds (its own and its groups'): the granting statement of each
/// of its `granted` edges names one. Guards that also allow (boundaries, control policies)
/// and other principals' policies (trusts) are not among them.
fn held_policies(graph: &Graph, principal: NodeId) -> BTreeSet<String> {
    graph
        .out_edges(principal)
        .filter(|(e, _)| graph.edge(*e).kind == EdgeKind::Granted)
        .filter_map(|(e, _)| graph.edge(e).evidence.statements.first())
        .map(|s| s.policy.to_string())
        .collect()
}

/// The distinct policies among statements, allow statements first.
fn policies(statements: &[StatementRef]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for effect in ["allow", "deny"] {
        for s in statements.iter().filter(|s| s.effect == effect) {
            if !out.iter().any(|p| **p == *s.policy) {
                out.push(s.policy.to_string());
            }
        }
    }
    out
}

fn quoted(list: &[String]) -> String {
    list.iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What removing one step of a path means, for a person.
fn cut_advice(graph: &Graph, edge: EdgeId) -> String {
    let (from, to) = graph.endpoints(edge);
    let e = graph.edge(edge);
    let (from_label, to_label) = (&graph.node(from).label, &graph.node(to).label);
    let by = policies(&e.evidence.statements);
    let allowed_by = if by.is_empty() {
        String::new()
    } else {
        format!(" (allowed by {})", quoted(&by))
    };
    match e.kind {
        EdgeKind::AuthenticatesAs => format!("delete the credential {from_label} of {to_label}"),
        EdgeKind::MemberOf => format!("remove {from_label} from {to_label}"),
        EdgeKind::Administers => format!(
            "take the statements that allow every action on every resource away from {from_label}{allowed_by}"
        ),
        EdgeKind::EscalatesTo => format!(
            "take the permissions of {} away from {from_label}, or scope them so they do not cover {to_label}{allowed_by}",
            e.evidence.rule.as_deref().unwrap_or("the technique")
        ),
        EdgeKind::Assumes | EdgeKind::ExchangedFor => format!(
            "stop {from_label} from reaching {to_label}: narrow the trust policy or the caller's policies{allowed_by}"
        ),
        _ => format!("remove the step {}{allowed_by}", step_text(graph, edge)),
    }
}

/// Steps of `path` whose removal alone cuts every path from `start` to `target`, and the fix
/// text built on them.
fn cut_fix(graph: &Graph, start: NodeId, target: NodeId, path: &[EdgeId]) -> String {
    let cuts: Vec<EdgeId> = path
        .iter()
        .copied()
        .filter(|&e| !matches!(graph.edge(e).kind, EdgeKind::ActsAs | EdgeKind::Controls))
        .filter(|&e| !reaches_without(graph, start, target, e))
        .collect();
    let start_label = &graph.node(start).label;
    let target_label = &graph.node(target).label;
    match cuts.as_slice() {
        [] => {
            let first = path
                .iter()
                .copied()
                .find(|&e| {
                    !matches!(
                        graph.edge(e).kind,
                        EdgeKind::ActsAs | EdgeKind::Controls | EdgeKind::AuthenticatesAs
                    )
                })
                .map(|e| cut_advice(graph, e))
                .unwrap_or_else(|| "remove a step of the witness".into());
            format!(
                "No single step of the witness cuts every path from {start_label} to {target_label}: other paths remain. Start with the first step ({first}), then run the audit again until this finding is gone."
            )
        }
        [one] => format!(
            "Removing this step cuts every path from {start_label} to {target_label}: {}.",
            cut_advice(graph, *one)
        ),
        many => {
            let options: Vec<String> = many
                .iter()
                .enumerate()
                .map(|(i, &e)| format!("({}) {}", i + 1, cut_advice(graph, e)))
                .collect();
            format!(
                "Removing any one of these steps cuts every path from {start_label} to {target_label}: {}.",
                options.join("; ")
            )
        }
    }
}

fn principals_on(graph: &Graph, start: NodeId, path: &[EdgeId]) -> Vec<NodeId> {
    let mut out = Vec::new();
    let nodes = std::iter::once(start).chain(path.iter().map(|&e| graph.endpoints(e).1));
    for n in nodes {
        if graph.node(n).kind == NodeKind::Principal && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// `through 4 roles`, `through 2 principals`, `directly`: what lies between a credential's
/// own principal and administrator control.
fn through(graph: &Graph, principals: &[NodeId]) -> String {
    let between = principals.get(1..).unwrap_or(&[]);
    let roles = between.iter().all(|&p| graph.node(p).class == "role");
    match (between.len(), roles) {
        (0, _) => "directly".to_string(),
        (1, true) => "through 1 role".to_string(),
        (n, true) => format!("through {n} roles"),
        (1, false) => "through 1 other principal".to_string(),
        (n, false) => format!("through {n} other principals"),
    }
}

fn account_of(graph: &Graph, control: NodeId) -> String {
    graph
        .node(control)
        .account
        .as_deref()
        .map_or_else(|| graph.node(control).label.clone(), str::to_string)
}

/// Every credential that reaches administrator control of an account, ranked by the size of
/// its radius (largest first).
pub fn credentials_reaching_admin(graph: &Graph, reaches: &mut Reaches) -> Vec<Finding> {
    let mut out = Vec::new();
    let credentials: Vec<NodeId> = graph.nodes_of_kind(NodeKind::Credential).collect();
    for cred in credentials {
        let admins = reaches.admin(cred);
        let Some(best) = admins.first().cloned() else {
            continue;
        };
        let profile = reaches.profile(cred);
        let (total, by_kind) = (profile.total, profile.by_kind.clone());
        let node = graph.node(cred);
        let account = account_of(graph, best.control);
        let mut f = Finding::new(
            graph,
            check("admin.credential"),
            cred,
            "",
            Severity::Critical.for_reach(best.reach),
            format!(
                "{} {} reaches admin of account {account} ({}, {})",
                node.class,
                node.label,
                best.reach.as_str(),
                through(graph, &principals_on(graph, cred, &best.path))
            ),
        );
        f.reach = Some(best.reach);
        f.principals = principals_on(graph, cred, &best.path);
        f.fix = cut_fix(graph, cred, best.control, &best.path);
        f.path = Some(Witness {
            start: cred,
            edges: best.path.clone(),
        });
        f.rank = -(total as i64);
        let accounts: Vec<String> = admins
            .iter()
            .map(|a| format!("{} ({})", account_of(graph, a.control), a.reach.as_str()))
            .collect();
        f = f.fact("admin_accounts", accounts.join(", "));
        f = f.count("radius_nodes", total as i64);
        for kind in ["principal", "session", "permission", "resource"] {
            let n = by_kind.get(kind).copied().unwrap_or(0);
            f = f.count(
                match kind {
                    "principal" => "radius_principals",
                    "session" => "radius_sessions",
                    "permission" => "radius_permissions",
                    _ => "radius_resources",
                },
                n as i64,
            );
        }
        for attr in ["status", "user", "created", "last_used"] {
            if let Some(v) = node.attrs.get(attr) {
                f = f.fact(attr, v.clone());
            }
        }
        out.push(f);
    }
    out
}

/// Principals whose own permissions make them administrator-equivalent.
pub fn admin_principals(graph: &Graph, reaches: &mut Reaches) -> Vec<Finding> {
    let administers = |p: NodeId| {
        graph
            .out_edges(p)
            .find(|(e, _)| graph.edge(*e).kind == EdgeKind::Administers)
    };
    let principals: Vec<NodeId> = graph
        .nodes_of_kind(NodeKind::Principal)
        .filter(|&p| administers(p).is_some())
        .collect();
    let by_credential = reaches.by_credential(&principals.iter().copied().collect());
    let mut out = Vec::new();
    for p in principals {
        let Some((edge, control)) = administers(p) else {
            continue;
        };
        let node = graph.node(p);
        let e = graph.edge(edge);
        let account = account_of(graph, control);
        let credentials = by_credential.get(&p).cloned().unwrap_or_default();
        let base = if node.class == "user" || !credentials.is_empty() {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut f = Finding::new(
            graph,
            check("admin.principal"),
            p,
            &account,
            base.for_reach(e.reach),
            format!(
                "{} is administrator-equivalent in account {account} ({})",
                node.label,
                e.reach.as_str()
            ),
        );
        f.reach = Some(e.reach);
        f.principals = vec![p];
        f.path = Some(Witness {
            start: p,
            edges: vec![edge],
        });
        let own = held_policies(graph, p);
        let granting: Vec<String> = policies(
            &e.evidence
                .statements
                .iter()
                .filter(|s| s.effect == "allow" && own.contains(&*s.policy))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let reached_by = if credentials.is_empty() {
            "No credential in the snapshot reaches it except through administrator control."
                .to_string()
        } else {
            let mut names: Vec<String> = credentials
                .iter()
                .map(|(c, r)| format!("{} ({})", graph.node(*c).label, r.as_str()))
                .collect();
            names.sort();
            names.dedup();
            format!(
                "{} credential(s) reach it: {}; see their admin.credential findings.",
                names.len(),
                names.join(", ")
            )
        };
        f.fix = format!(
            "If {} is not meant to administer the account, replace {} with a policy that allows only the actions it uses. If it is, keep every path to it narrow: require MFA in its trust and give it no long-lived credentials. {reached_by}",
            node.label,
            if granting.is_empty() {
                "the statements that allow every action on every resource".to_string()
            } else {
                quoted(&granting)
            }
        );
        f.evidence = e.evidence.statements.to_vec();
        f = f.fact("granted_by", granting.join(", "));
        f = f.count("reached_by_credentials", credentials.len() as i64);
        out.push(f);
    }
    out
}

/// Users without an MFA device (node attribute `mfa = false`, from the provider's credential
/// report) that reach administrator control.
pub fn users_without_mfa(graph: &Graph, reaches: &mut Reaches) -> Vec<Finding> {
    let mut out = Vec::new();
    let users: Vec<NodeId> = graph
        .nodes_of_kind(NodeKind::Principal)
        .filter(|&n| {
            let node = graph.node(n);
            node.class == "user" && node.attrs.get("mfa").map(String::as_str) == Some("false")
        })
        .collect();
    for user in users {
        let Some(best) = reaches.admin(user).first().cloned() else {
            continue;
        };
        let node = graph.node(user);
        let console = node.attrs.get("console_password").map(String::as_str) == Some("true");
        let base = if console {
            Severity::Critical
        } else {
            Severity::Medium
        };
        let account = account_of(graph, best.control);
        let mut f = Finding::new(
            graph,
            check("admin.user-without-mfa"),
            user,
            &account,
            base.for_reach(best.reach),
            format!(
                "{} has no MFA{} and reaches admin of account {account} ({})",
                node.label,
                if console {
                    " but a console password"
                } else {
                    ""
                },
                best.reach.as_str()
            ),
        );
        f.reach = Some(best.reach);
        f.principals = principals_on(graph, user, &best.path);
        f.fix = format!(
            "Enable an MFA device for {} and require MFA in the policies and trusts on its path to administrator control. {}",
            node.label,
            cut_fix(graph, user, best.control, &best.path)
        );
        f.path = Some(Witness {
            start: user,
            edges: best.path.clone(),
        });
        f = f.flag("console_password", console);
        f = f.flag("mfa", false);
        out.push(f);
    }
    out
}

/// Escalation techniques the policies grant, one finding per technique and set of granting
/// policies, listing every principal that can use it that way.
pub fn escalation_techniques(graph: &Graph, rules: &RuleSet) -> Vec<Finding> {
    struct Group {
        edges: Vec<EdgeId>,
        actors: Vec<NodeId>,
        targets: BTreeSet<String>,
        statements: Vec<StatementRef>,
        /// The same statements, to test membership in constant time.
        cited: HashSet<StatementRef>,
    }
    let mut groups: BTreeMap<(String, Vec<String>), Group> = BTreeMap::new();
    let principals: Vec<NodeId> = graph.nodes_of_kind(NodeKind::Principal).collect();
    for actor in principals {
        // The actor's own policies grant the technique; a target's trust policy that lets it
        // in, or a guard that also allows it, is evidence, not the grant.
        let mut own: Option<BTreeSet<String>> = None;
        for (edge, target) in graph.out_edges(actor) {
            let e = graph.edge(edge);
            let (EdgeKind::EscalatesTo, Some(rule)) = (e.kind, &e.evidence.rule) else {
                continue;
            };
            let own = own.get_or_insert_with(|| held_policies(graph, actor));
            let granting: Vec<StatementRef> = e
                .evidence
                .statements
                .iter()
                .filter(|s| s.effect == "allow" && own.contains(&*s.policy))
                .cloned()
                .collect();
            let key = (rule.to_string(), policies(&granting));
            let g = groups.entry(key).or_insert_with(|| Group {
                edges: Vec::new(),
                actors: Vec::new(),
                targets: BTreeSet::new(),
                statements: Vec::new(),
                cited: HashSet::new(),
            });
            g.edges.push(edge);
            // An actor's edges come one after another: it is new to the group unless last.
            if g.actors.last() != Some(&actor) {
                g.actors.push(actor);
            }
            g.targets.insert(graph.node(target).label.clone());
            for s in granting {
                if g.cited.insert(s.clone()) {
                    g.statements.push(s);
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((rule_id, policy_names), g) in groups {
        let Some(&first_actor) = g.actors.first() else {
            continue;
        };
        let to_admin =
            |e: &EdgeId| graph.node(graph.endpoints(*e).1).kind == NodeKind::AccountControl;
        let reach = if g
            .edges
            .iter()
            .any(|e| graph.edge(*e).reach == Reach::Definite)
        {
            Reach::Definite
        } else {
            Reach::Conditional
        };
        let admin_edge = g
            .edges
            .iter()
            .copied()
            .filter(to_admin)
            .min_by_key(|e| graph.edge(*e).reach);
        let base = if admin_edge.is_some() {
            Severity::High
        } else {
            Severity::Medium
        };
        let shown = admin_edge
            .or_else(|| g.edges.iter().copied().min_by_key(|e| graph.edge(*e).reach))
            .or_else(|| g.edges.first().copied());
        let Some(shown) = shown else {
            continue;
        };
        let rule = rules.rules.iter().find(|r| r.id == rule_id);
        let actions: Vec<String> = rule
            .map(|r| {
                let mut a: Vec<String> = r.permissions.iter().map(|p| p.action.clone()).collect();
                a.dedup();
                a
            })
            .unwrap_or_default();
        let actor_labels: Vec<String> = g
            .actors
            .iter()
            .map(|&a| graph.node(a).label.clone())
            .collect();
        let by = if policy_names.is_empty() {
            "their policies".to_string()
        } else {
            quoted(&policy_names)
        };
        let mut f = Finding::new(
            graph,
            check("escalation.technique"),
            first_actor,
            &format!("{rule_id}\u{1f}{}", policy_names.join("\u{1f}")),
            base.for_reach(reach),
            format!(
                "{by} grant{} {rule_id} to {}{}",
                if policy_names.len() == 1 { "s" } else { "" },
                summarise(&actor_labels, 3),
                if admin_edge.is_some() {
                    ": administrator control"
                } else {
                    ""
                }
            ),
        );
        f.reach = Some(reach);
        f.principals = g.actors.clone();
        let (from, _) = graph.endpoints(shown);
        f.path = Some(Witness {
            start: from,
            edges: vec![shown],
        });
        f.evidence = g.statements;
        f.fix = format!(
            "Remove {} from {by}, or scope them (resources, conditions) so they cover none of: {}. A permission boundary or a service control policy that denies them also closes it.",
            if actions.is_empty() {
                "the technique's permissions".to_string()
            } else {
                actions
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            summarise(&g.targets.iter().cloned().collect::<Vec<_>>(), 5)
        );
        f = f.fact("rule", rule_id.clone());
        if let Some(r) = rule {
            f = f.fact("technique", r.title.clone());
            if let Some(reference) = r.references.first() {
                f = f.fact("reference", reference.clone());
            }
        }
        f = f.count("principals", g.actors.len() as i64);
        f = f.count("targets", g.targets.len() as i64);
        out.push(f);
    }
    out
}

/// `a, b, c and 4 more`.
pub fn summarise(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..max].join(", "), items.len() - max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, Evidence, Node, Undecided};

    #[test]
    fn every_check_id_used_here_exists() {
        for id in [
            "admin.credential",
            "admin.principal",
            "admin.user-without-mfa",
            "escalation.technique",
        ] {
            assert!(CHECKS.iter().any(|c| c.id == id), "{id}");
        }
    }

    fn node(g: &mut Graph, kind: NodeKind, class: &'static str, key: &str) -> NodeId {
        g.add_node(Node::new(kind, "test", class, key, key).in_account("1"))
    }

    /// key → user → (a | b) → admin: no single role hop cuts it, deleting the key does.
    #[test]
    fn cut_fix_finds_the_steps_that_cut_every_path() {
        let mut g = Graph::new();
        let key = node(&mut g, NodeKind::Credential, "access-key", "AKIA1");
        let user = node(&mut g, NodeKind::Principal, "user", "u");
        let a = node(&mut g, NodeKind::Principal, "role", "a");
        let b = node(&mut g, NodeKind::Principal, "role", "b");
        let admin = node(&mut g, NodeKind::AccountControl, "account", "admin");
        let e = |k| Edge::new(k, Evidence::new("t"));
        let e1 = g.add_edge(key, user, e(EdgeKind::AuthenticatesAs));
        let e2 = g.add_edge(user, a, e(EdgeKind::Assumes));
        g.add_edge(user, b, e(EdgeKind::Assumes));
        let e4 = g.add_edge(a, admin, e(EdgeKind::Administers));
        g.add_edge(b, admin, e(EdgeKind::Administers));
        let fix = cut_fix(&g, key, admin, &[e1, e2, e4]);
        assert!(fix.starts_with("Removing this step"), "{fix}");
        assert!(fix.contains("delete the credential AKIA1"), "{fix}");
    }

    #[test]
    fn conditional_admin_lowers_the_severity() {
        let mut g = Graph::new();
        let key = node(&mut g, NodeKind::Credential, "access-key", "AKIA1");
        let user = node(&mut g, NodeKind::Principal, "user", "u");
        let admin = node(&mut g, NodeKind::AccountControl, "account", "admin");
        g.add_edge(
            key,
            user,
            Edge::new(EdgeKind::AuthenticatesAs, Evidence::new("k")),
        );
        let mut ev = Evidence::new("admin");
        ev.undecided.push(Undecided {
            key: "aws:SourceIp".into(),
            reason: "r".into(),
        });
        g.add_edge(user, admin, Edge::new(EdgeKind::Administers, ev));
        let mut reaches = Reaches::new(&g);
        let found = credentials_reaching_admin(&g, &mut reaches);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::High);
        assert_eq!(found[0].reach, Some(Reach::Conditional));
        let principals = admin_principals(&g, &mut reaches);
        assert_eq!(principals.len(), 1);
        assert_eq!(principals[0].severity, Severity::Medium);
    }
}
