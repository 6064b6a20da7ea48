//! The graph before any principal's policies are decided: every node a principal's edges can
//! lead to (principals, groups, keys, sessions, account control), and the edges that need no
//! policy decision (keys, memberships, user sessions, role sessions, external token
//! exchanges).
//!
//! Each account's part is prepared apart from the graph, on every core, and laid in account
//! order: the graph comes out as if each account wrote into it directly, node and edge ids
//! included.

use super::{PROVIDER, USER_SESSION_MAX_SECS, admin, assume};
use crate::aws::inventory::KeyStatus;
use crate::aws::model::{Account, User};
use crate::aws::organization::Organization;
use crate::aws::principal::{Entity, PolicyBook, Seed};
use crate::graph::{Edge, EdgeKind, Evidence, Graph, Node, NodeId, NodeKind, RecordRef, Undecided};
use crate::snapshot::MissingSource;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

pub(super) struct Skeleton<'a> {
    /// Users and roles, in the order their edges are decided.
    pub principals: Vec<(Seed<'a>, NodeId)>,
    /// The account-control node of each account.
    pub controls: HashMap<&'a str, NodeId>,
    pub roles: assume::RoleSessions<'a>,
}

/// Accounts prepared between two layings: one chunk is laid while the next is prepared.
const ACCOUNTS_PER_CHUNK: usize = 16;

impl<'a> Skeleton<'a> {
    pub fn lower(
        accounts: &'a [Arc<Account>],
        organization: Option<&Organization>,
        book: &PolicyBook,
        graph: &mut Graph,
        missing: &mut Vec<MissingSource>,
    ) -> Self {
        let mut principals: Vec<(Seed, NodeId)> = Vec::new();
        let mut controls: HashMap<&str, NodeId> = HashMap::new();
        let mut prepared: Vec<Part> = Vec::new();
        for chunk in accounts.chunks(ACCOUNTS_PER_CHUNK) {
            let (next, ()) = rayon::join(
                || {
                    chunk
                        .par_iter()
                        .map(|account| Part::prepare(account, book, organization))
                        .collect::<Vec<Part>>()
                },
                || {
                    for part in prepared.drain(..) {
                        part.lay(graph, &mut principals, &mut controls, missing);
                    }
                },
            );
            prepared = next;
        }
        for part in prepared {
            part.lay(graph, &mut principals, &mut controls, missing);
        }
        let roles = assume::RoleSessions::create(accounts, graph);
        assume::external_trusts(&roles, graph);
        Skeleton {
            principals,
            controls,
            roles,
        }
    }

    /// Account control reaches every user, group and role of its account that is not
    /// service-linked. These edges start at the control nodes only.
    pub fn control_edges(&self, accounts: &[Arc<Account>], graph: &mut Graph) {
        for account in accounts {
            if let Some(&control) = self.controls.get(account.id.as_str()) {
                admin::controls(account, control, graph);
            }
        }
    }
}

/// A node of a part, by the order it was prepared in.
type Local = u32;

/// One step of laying a part, in the order the graph receives them.
enum Lay<'a> {
    /// A node; with the seed of a user or role, whose edges are decided later.
    Node(Node, Option<Seed<'a>>),
    Alias(Local, &'a str),
    Edge(Local, Local, Edge),
}

/// A user's or role's node, labelled `user/NAME` or `role/NAME`, with its unique id
/// (`user_id`, `role_id`).
fn principal_node(account: &Account, class: &'static str, arn: &str, name: &str, id: &str) -> Node {
    let id_attr = if class == "user" {
        "user_id"
    } else {
        "role_id"
    };
    Node::new(
        NodeKind::Principal,
        PROVIDER,
        class,
        arn,
        format!("{class}/{name}"),
    )
    .in_account(&account.id)
    .with_attr(id_attr, id)
}

/// One account's skeleton, prepared without the graph.
struct Part<'a> {
    account: &'a Account,
    steps: Vec<Lay<'a>>,
    nodes: Local,
    missing: Vec<MissingSource>,
}

impl<'a> Part<'a> {
    fn prepare(
        account: &'a Account,
        book: &PolicyBook,
        organization: Option<&Organization>,
    ) -> Part<'a> {
        let mut part = Part {
            account,
            steps: Vec::new(),
            nodes: 0,
            missing: Vec::new(),
        };
        part.node(
            Node::new(
                NodeKind::AccountControl,
                PROVIDER,
                "account",
                format!("aws:account:{}", account.id),
                format!("admin of account {}", account.id),
            )
            .in_account(&account.id),
            None,
        );
        let mut users = HashMap::new();
        for user in &account.users {
            let mut node = principal_node(account, "user", &user.arn, &user.name, &user.id);
            if let Some(row) = account
                .credential_report
                .as_ref()
                .and_then(|r| r.get(&user.name))
            {
                node = node
                    .with_attr("console_password", row.has_password().to_string())
                    .with_attr("mfa", row.has_mfa().to_string());
            }
            let entity = Entity::User(user);
            let id = part.node(node, Some(Seed { account, entity }));
            part.aliases(id, [&user.name, &user.id]);
            users.insert(user.name.as_str(), id);
        }
        let mut groups = HashMap::new();
        for group in &account.groups {
            let node = Node::new(
                NodeKind::Principal,
                PROVIDER,
                "group",
                &group.arn,
                format!("group/{}", group.name),
            )
            .in_account(&account.id);
            let id = part.node(node, None);
            part.steps.push(Lay::Alias(id, &group.name));
            groups.insert(group.name.as_str(), id);
        }
        for role in &account.roles {
            let mut node = principal_node(account, "role", &role.arn, &role.name, &role.id);
            if role.is_service_linked() {
                node = node.with_attr("service_linked", "true");
            }
            let entity = Entity::Role(role);
            let id = part.node(node, Some(Seed { account, entity }));
            part.aliases(id, [&role.name, &role.id]);
        }
        part.credentials(&users);
        part.memberships(&users, &groups);
        part.user_sessions(&users, book, organization);
        part
    }

    fn node(&mut self, node: Node, seed: Option<Seed<'a>>) -> Local {
        self.steps.push(Lay::Node(node, seed));
        self.nodes += 1;
        self.nodes - 1
    }

    fn aliases(&mut self, node: Local, names: [&'a str; 2]) {
        for name in names {
            self.steps.push(Lay::Alias(node, name));
        }
    }

    fn edge(&mut self, from: Local, to: Local, edge: Edge) {
        self.steps.push(Lay::Edge(from, to, edge));
    }

    /// Adds the part to the graph, its principals to `principals`, its control node to
    /// `controls` and what it found missing to `missing`.
    fn lay(
        self,
        graph: &mut Graph,
        principals: &mut Vec<(Seed<'a>, NodeId)>,
        controls: &mut HashMap<&'a str, NodeId>,
        missing: &mut Vec<MissingSource>,
    ) {
        let mut ids: Vec<NodeId> = Vec::with_capacity(self.nodes as usize);
        for step in self.steps {
            match step {
                Lay::Node(node, seed) => {
                    let id = graph.add_node(node);
                    ids.push(id);
                    if let Some(seed) = seed {
                        principals.push((seed, id));
                    }
                }
                Lay::Alias(local, name) => graph.add_alias(ids[local as usize], name),
                Lay::Edge(from, to, edge) => {
                    graph.add_edge(ids[from as usize], ids[to as usize], edge);
                }
            }
        }
        if let Some(&control) = ids.first() {
            controls.insert(&self.account.id, control);
        }
        missing.extend(self.missing);
    }

    /// Access keys authenticate as their user. A key that is not active keeps a conditional
    /// edge: it reaches the user again the moment someone reactivates it.
    fn credentials(&mut self, users: &HashMap<&str, Local>) {
        let account = self.account;
        let file = format!("aws/{}/access-keys.json", account.id);
        for key in &account.keys {
            let status = match key.status {
                KeyStatus::Active => "Active",
                KeyStatus::Inactive => "Inactive",
                KeyStatus::Expired => "Expired",
            };
            let mut node = Node::new(
                NodeKind::Credential,
                PROVIDER,
                "access-key",
                &key.id,
                &key.id,
            )
            .in_account(&account.id)
            .with_attr("status", status)
            .with_attr("user", &key.user);
            if let Some(created) = key.created {
                node = node.with_attr("created", created.0.to_rfc3339());
            }
            if let Some(date) = key.last_used.as_ref().and_then(|l| l.last_used_date) {
                node = node.with_attr("last_used", date.0.to_rfc3339());
            }
            let key_node = self.node(node, None);
            let Some(&user) = users.get(key.user.as_str()) else {
                self.missing.push(MissingSource::new(
                    format!("{file}#{}", key.pointer),
                    format!(
                        "key {} names user `{}`, who is not in gaad.json",
                        key.id, key.user
                    ),
                    "what the key reaches",
                ));
                continue;
            };
            let mut evidence = Evidence::new("access key of the user");
            evidence
                .records
                .push(RecordRef::new(&file, &key.pointer, "access key listing"));
            if key.status != KeyStatus::Active {
                evidence.undecided.push(Undecided {
                    key: "key status".into(),
                    reason: format!("the key was {status} when the snapshot was taken; it authenticates again if reactivated").into(),
                });
            }
            self.edge(
                key_node,
                user,
                Edge::new(EdgeKind::AuthenticatesAs, evidence),
            );
        }
    }

    fn memberships(&mut self, users: &HashMap<&str, Local>, groups: &HashMap<&str, Local>) {
        let account = self.account;
        for user in &account.users {
            let Some(&user_node) = users.get(user.name.as_str()) else {
                continue;
            };
            for (j, name) in user.groups.iter().enumerate() {
                let Some(&group) = groups.get(name.as_str()) else {
                    continue;
                };
                let mut evidence = Evidence::new("group membership");
                evidence.records.push(RecordRef::new(
                    &account.gaad_file,
                    format!("{}/GroupList/{j}", user.pointer),
                    "group list",
                ));
                self.edge(user_node, group, Edge::new(EdgeKind::MemberOf, evidence));
            }
        }
    }

    /// Sessions an IAM user mints for itself: GetSessionToken (no permission needed) and
    /// GetFederationToken (needs `sts:GetFederationToken`).
    fn user_sessions(
        &mut self,
        users: &HashMap<&str, Local>,
        book: &PolicyBook,
        organization: Option<&Organization>,
    ) {
        let account = self.account;
        for user in &account.users {
            let Some(&user_node) = users.get(user.name.as_str()) else {
                continue;
            };
            let mut minted = Evidence::new("sts:GetSessionToken (no permission needed)")
                .note("session token credentials last up to 36 h (12 h by default) and survive deleting the key");
            minted.session_max_secs = Some(USER_SESSION_MAX_SECS);
            let acts = Evidence::new("a session token acts as its user");
            self.user_session(user, user_node, "session-token", minted, acts);

            let entity = Entity::User(user);
            let principal = Seed { account, entity }.principal(book, organization);
            if let Some(minted) = assume::federation_token(&principal) {
                let acts = Evidence::new("a federation token acts as its user").note("with at most the user's permissions, narrowed by the session policy passed when minting it");
                self.user_session(user, user_node, "federation-token", minted, acts);
            }
        }
    }

    /// A session of `class` (`session-token`, `federation-token`) that a user mints for
    /// itself, and that acts as the user.
    fn user_session(
        &mut self,
        user: &User,
        user_node: Local,
        class: &'static str,
        minted: Evidence,
        acts: Evidence,
    ) {
        let session = self.node(
            Node::new(
                NodeKind::Session,
                PROVIDER,
                class,
                format!("{}#{class}", user.arn),
                format!("{} of user/{}", class.replace('-', " "), user.name),
            )
            .in_account(&self.account.id)
            .with_attr("max_duration_secs", USER_SESSION_MAX_SECS.to_string()),
            None,
        );
        self.edge(user_node, session, Edge::new(EdgeKind::Mints, minted));
        self.edge(session, user_node, Edge::new(EdgeKind::ActsAs, acts));
    }
}
