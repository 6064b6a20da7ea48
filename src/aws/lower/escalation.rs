//! Privilege-escalation techniques of `policies/aws/*.toml` applied to every principal: an
//! edge from the principal to what the technique gives it, decided by the same authorizer as
//! `blastmap can`, conditional where a resource it needs is not in the snapshot.

use super::admin::admin_edge;
use crate::aws::authz::{Authorizer, Decision, ManyResources};
use crate::aws::model::{Account, Role};
use crate::aws::organization::Organization;
use crate::aws::policy::document::{Effect, Principals};
use crate::aws::policy::{Policy, PolicySource, Tri};
use crate::aws::principal::{Entity, PolicyBook, Principal};
use crate::graph::{Edge, EdgeKind, Evidence, List, NodeId, StatementRef, Text, Undecided};
use crate::rules::{Actor, Gives, Rule, Target};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// What a technique is applied to, for one actor.
enum Aim<'a> {
    User(&'a crate::aws::model::User),
    Role(&'a Role),
    Group(&'a crate::aws::model::Group),
    Myself,
    Policy(&'a str),
}

impl Aim<'_> {
    fn arn<'b>(&'b self, actor: &'b Principal) -> &'b str {
        match self {
            Aim::User(u) => &u.arn,
            Aim::Role(r) => &r.arn,
            Aim::Group(g) => &g.arn,
            Aim::Myself => actor.arn(),
            Aim::Policy(arn) => arn,
        }
    }

    fn name<'b>(&'b self, actor: &'b Principal) -> &'b str {
        let arn = self.arn(actor);
        arn.rsplit('/').next().unwrap_or(arn)
    }
}

/// Everything the escalation stage needs besides the graph.
pub struct Escalation<'a> {
    pub rules: &'a [Rule],
    pub authz: &'a Authorizer<'a>,
    pub book: &'a PolicyBook<'a>,
    pub organization: Option<&'a Organization>,
    /// A policy allowing everything, standing for one a principal writes for itself.
    pub everything: Policy,
    /// Per account and service a rule asks the target role to trust (or none), the roles a
    /// technique may aim at: the same for every actor of the account. Listed (as indices into
    /// the account's roles) when an actor of the account first asks: a what-if decides the
    /// actors of a few accounts only.
    roles: HashMap<(&'a str, Option<&'a str>), AimedRoles<'a>>,
    /// The evidence texts of each rule (same index as `rules`), made once: a technique's
    /// edges from every actor of the organisation cite them.
    texts: Vec<RuleTexts>,
    /// Per rule and permission, the condition keys its request carries besides the actor's.
    keys: Vec<Vec<Vec<(&'a str, &'a str)>>>,
}

/// One actor's questions, per rule and permission, asked of each target in turn.
#[derive(Default)]
struct Asked<'q, 'a> {
    /// Permissions whose resource names the target.
    many: HashMap<(usize, usize), ManyResources<'q, 'a>, foldhash::fast::RandomState>,
    /// The decisions of the others: their resource (`*`, the account's functions) is the same
    /// for every target.
    fixed: HashMap<(usize, usize), Decision, foldhash::fast::RandomState>,
    /// Whether the actor may assume each role a rule edits, its side shared between roles.
    assume: Option<ManyResources<'q, 'a>>,
}

/// The texts a rule's edges carry whatever the actor.
struct RuleTexts {
    id: Text,
    /// `may leave behind: ...`, one per persistence item.
    notes: List<Text>,
    /// Per requirement, what is undecided when the snapshot has no inventory of its kind.
    no_inventory: Vec<Undecided>,
    /// `RULE: TITLE on `, the start of every mechanism.
    head: String,
    /// The mechanism per target (`on` and suffix), with the hash of (`on`, suffix): the same
    /// target is reached from many actors. A mechanism is found by the end of its text, which
    /// names the target already; a map keyed by copies of the targets' names cost a hundred
    /// bytes a target, millions on an organisation. Filled by the threads deciding actors,
    /// dropped with the stage.
    mechanisms: Mutex<hashbrown::HashTable<(u64, Text)>>,
    hashes: foldhash::fast::RandomState,
}

impl RuleTexts {
    fn new(rule: &Rule) -> Self {
        RuleTexts {
            id: rule.id.as_str().into(),
            notes: rule
                .persistence
                .iter()
                .map(|p| format!("may leave behind: {p}").into())
                .collect(),
            no_inventory: rule
                .requires
                .iter()
                .map(|requirement| Undecided {
                    key: format!("{} inventory", requirement.inventory).into(),
                    reason: format!(
                        "needs {}; the snapshot has no {} inventory",
                        requirement.what, requirement.inventory
                    )
                    .into(),
                })
                .collect(),
            head: format!("{}: {} on ", rule.id, rule.title),
            mechanisms: Mutex::new(hashbrown::HashTable::new()),
            hashes: foldhash::fast::RandomState::default(),
        }
    }

    /// `RULE: TITLE on TARGET[SUFFIX]`, shared by every edge of the rule to that target.
    fn mechanism(&self, on: &str, suffix: &str) -> Text {
        use std::hash::BuildHasher;
        let hash = self.hashes.hash_one((on, suffix));
        let names_target = |text: &Text| {
            text.get(self.head.len()..)
                .is_some_and(|tail| is_joined(tail, on, suffix))
        };
        let mut cache = self
            .mechanisms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match cache.entry(
            hash,
            |(h, text)| *h == hash && names_target(text),
            |(h, _)| *h,
        ) {
            hashbrown::hash_table::Entry::Occupied(found) => found.get().1.clone(),
            hashbrown::hash_table::Entry::Vacant(room) => {
                let made = Text::from(format!("{}{on}{suffix}", self.head));
                room.insert((hash, made.clone()));
                made
            }
        }
    }
}

/// Whether `text` is `head` followed by `tail`, without joining them.
fn is_joined(text: &str, head: &str, tail: &str) -> bool {
    text.len() == head.len() + tail.len() && text.starts_with(head) && text.ends_with(tail)
}

/// An account and, once listed, the indices of its roles a technique may aim at.
type AimedRoles<'a> = (&'a Account, OnceLock<Vec<usize>>);

impl<'a> Escalation<'a> {
    pub fn new(
        rules: &'a [Rule],
        authz: &'a Authorizer<'a>,
        book: &'a PolicyBook<'a>,
        organization: Option<&'a Organization>,
        accounts: &'a [Arc<Account>],
    ) -> Self {
        let mut roles = HashMap::new();
        let services: BTreeSet<Option<&str>> = rules
            .iter()
            .filter(|r| r.target == Target::Role)
            .map(|r| r.trusts_service.as_deref())
            .collect();
        for account in accounts {
            for &service in &services {
                roles.insert(
                    (account.id.as_str(), service),
                    (&**account, OnceLock::new()),
                );
            }
        }
        let source = PolicySource {
            file: Arc::from("(escalation)"),
            pointer: String::new(),
            name: "a policy it grants itself".into(),
        };
        let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let everything = Policy::parse(source, &doc).unwrap_or_else(|_| {
            Policy::missing(PolicySource {
                file: Arc::from("(escalation)"),
                pointer: String::new(),
                name: "a policy it grants itself".into(),
            })
        });
        Escalation {
            rules,
            authz,
            book,
            organization,
            everything,
            roles,
            texts: rules.iter().map(RuleTexts::new).collect(),
            keys: rules
                .iter()
                .map(|rule| rule.permissions.iter().map(request_keys).collect())
                .collect(),
        }
    }

    /// Administrator control `principal` would hold with a policy allowing everything:
    /// within what still limits it (boundary, denies, SCPs), `None` when even that is not
    /// administrator-equivalent.
    fn with_everything(
        &self,
        principal: &Principal,
        scps: Option<&[(String, Vec<&Policy>)]>,
    ) -> Option<Edge> {
        let mut empowered = principal.clone();
        empowered.identity.push(&self.everything);
        admin_edge(&empowered, scps)
    }

    /// Adds every technique's edges from `actor`: all of them, or those into the targets a
    /// what-if changed (`only`), or those into nodes a search has not `met`.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &self,
        actor: &Principal,
        node: NodeId,
        control: NodeId,
        scps: Option<&[(String, Vec<&Policy>)]>,
        only: Option<&std::collections::HashSet<String>>,
        met: super::Met,
        graph: &mut super::batch::Batch,
    ) {
        // Every technique leads to a node of the actor's account: a search that has met them
        // all needs none of its edges.
        if met.has_account(control) {
            return;
        }
        // An administrator already reaches every principal of its account through `controls`:
        // listing each technique it could use would add edges, not reach.
        if admin_edge(actor, scps).is_some_and(|e| e.reach == crate::graph::Reach::Definite) {
            return;
        }
        // The same for every technique and target that grants the actor itself everything.
        let empowered_admin = std::cell::OnceCell::new();
        let mut asked = Asked::default();
        for (index, rule) in self.rules.iter().enumerate() {
            let texts = &self.texts[index];
            // Administrator control is the technique's only target: met already, whether the
            // actor may use it does not matter.
            if matches!(rule.gives, Gives::Admin) && met.has(control) {
                continue;
            }
            let aims = match only {
                // Decided again for a few targets (what-if): most rules aim at none of them,
                // and that is cheaper to see than whether the actor may use them at all.
                Some(only) => {
                    let mut aims = self.aims(rule, actor);
                    aims.retain(|aim| only.contains(aim.arn(actor)));
                    if aims.is_empty() || !self.may_apply(rule, actor) {
                        continue;
                    }
                    aims
                }
                // Most actors may use few techniques: the targets (every role of the account,
                // say) are listed only for those.
                None => {
                    if !self.may_apply(rule, actor) {
                        continue;
                    }
                    self.aims(rule, actor)
                }
            };
            for aim in aims {
                // A search that has met the technique's target already needs no edge to it.
                let target_met = || graph.find_key(aim.arn(actor)).is_some_and(|t| met.has(t));
                let met_already = !met.is_empty()
                    && match rule.gives {
                        Gives::ActAs => target_met(),
                        // Joining a group may also lead to administrator control.
                        Gives::Join => met.has(control) && target_met(),
                        // Skipped above when the control is met.
                        Gives::Admin => false,
                    };
                if met_already {
                    continue;
                }
                let Some(mut decision) = self.decide(index, actor, &aim, &mut asked) else {
                    continue;
                };
                let (to, kind) = match rule.gives {
                    Gives::ActAs => {
                        let Some(target) = graph.find_key(aim.arn(actor)) else {
                            continue;
                        };
                        (target, EdgeKind::EscalatesTo)
                    }
                    Gives::Admin if matches!(aim, Aim::Role(_)) => {
                        // The actor makes a role it can assume an administrator, then assumes
                        // it: administrator-equivalent within what limits that role.
                        let Aim::Role(role) = &aim else { continue };
                        let mut target = Principal::role(actor.account, role, self.book);
                        target.with_organization(self.organization);
                        let Some(admin) = self.with_everything(&target, scps) else {
                            continue;
                        };
                        merge_admin(&mut decision, &admin);
                        (control, EdgeKind::EscalatesTo)
                    }
                    Gives::Admin => {
                        // Administrator-equivalent within what still limits it: the actor with
                        // a policy allowing everything, through its boundary, denies and SCPs.
                        let admin =
                            empowered_admin.get_or_init(|| self.with_everything(actor, scps));
                        let Some(admin) = admin else { continue };
                        merge_admin(&mut decision, admin);
                        (control, EdgeKind::EscalatesTo)
                    }
                    Gives::Join => {
                        let Aim::Group(group) = aim else { continue };
                        let Some(target) = graph.find_key(&group.arn) else {
                            continue;
                        };
                        // Joined, the actor holds the group's policies too: administrator
                        // control if they allow everything.
                        let mut member = actor.clone();
                        let book_policies = group_policies(actor.account, group, actor);
                        member.identity.extend(book_policies);
                        // As a member it may then grant itself anything by another technique
                        // (the group allows iam:PutUserPolicy, say).
                        let admin = admin_edge(&member, scps)
                            .map(|a| {
                                (
                                    std::sync::Arc::unwrap_or_clone(a.evidence),
                                    a.reach == crate::graph::Reach::Conditional,
                                    format!(" (group/{} allows everything)", group.name),
                                )
                            })
                            .or_else(|| {
                                self.self_admin(&member, scps).map(|(e, c, id)| {
                                    (
                                        e,
                                        c,
                                        format!(" (then {id} as a member of group/{})", group.name),
                                    )
                                })
                            });
                        if let Some((evidence, conditional, suffix)) = admin {
                            let mut via = decision.clone();
                            merge(&mut via, &evidence, conditional);
                            if let Some(edge) = edge(texts, &aim, actor, via, &suffix) {
                                graph.add_edge(node, control, edge);
                            }
                        }
                        (target, EdgeKind::EscalatesTo)
                    }
                };
                let _ = kind;
                if let Some(edge) = edge(texts, &aim, actor, decision, "") {
                    graph.add_edge(node, to, edge);
                }
            }
        }
    }

    /// The targets a rule applies to for one actor, with the rule's filters that the snapshot
    /// decides.
    fn aims(&self, rule: &Rule, actor: &Principal<'a>) -> Vec<Aim<'a>> {
        let account = actor.account;
        match (rule.actor, actor.is_user()) {
            (Some(Actor::User), false) | (Some(Actor::Role), true) => return Vec::new(),
            _ => {}
        }
        match rule.target {
            Target::OwnGroup => match actor.entity {
                Entity::User(user) => account
                    .groups
                    .iter()
                    .filter(|g| user.groups.contains(&g.name))
                    .map(Aim::Group)
                    .collect(),
                Entity::Role(_) => Vec::new(),
            },
            Target::User => account
                .users
                .iter()
                .filter(|u| u.arn != actor.arn())
                .map(Aim::User)
                .collect(),
            Target::Role => {
                let service = rule.trusts_service.as_deref();
                self.roles
                    .get(&(account.id.as_str(), service))
                    .into_iter()
                    .flat_map(|(account, listed)| {
                        let aimed = listed.get_or_init(|| {
                            (0..account.roles.len())
                                .filter(|&i| {
                                    let r = &account.roles[i];
                                    !r.is_service_linked()
                                        && service.is_none_or(|s| trusts_service(r, s))
                                })
                                .collect()
                        });
                        aimed.iter().map(|&i| &account.roles[i])
                    })
                    .filter(|r| r.arn != actor.arn())
                    .map(Aim::Role)
                    .collect()
            }
            Target::Group => account.groups.iter().map(Aim::Group).collect(),
            Target::Myself => vec![Aim::Myself],
            Target::OwnPolicy => own_policies(actor)
                .into_iter()
                .filter(|arn| match rule.other_version {
                    Some(true) => account.policy_versions.get(*arn).is_some_and(|n| *n > 1),
                    _ => true,
                })
                .map(Aim::Policy)
                .collect(),
        }
    }

    /// Whether `principal` can make itself an administrator by one of the techniques that
    /// grant it any permission (on itself, its groups or its policies): the evidence, whether
    /// it is conditional, and the technique's id.
    fn self_admin(
        &self,
        principal: &Principal,
        scps: Option<&[(String, Vec<&Policy>)]>,
    ) -> Option<(Evidence, bool, String)> {
        let mut best: Option<(Evidence, bool, String)> = None;
        let empowered_admin = std::cell::OnceCell::new();
        let mut asked = Asked::default();
        for (index, (rule, texts)) in self.rules.iter().zip(&self.texts).enumerate() {
            if rule.gives != Gives::Admin
                || !matches!(
                    rule.target,
                    Target::Myself | Target::OwnGroup | Target::OwnPolicy
                )
            {
                continue;
            }
            if !self.may_apply(rule, principal) {
                continue;
            }
            for aim in self.aims(rule, principal) {
                let Some(mut decision) = self.decide(index, principal, &aim, &mut asked) else {
                    continue;
                };
                let admin = empowered_admin.get_or_init(|| self.with_everything(principal, scps));
                let Some(admin) = admin else { continue };
                merge_admin(&mut decision, admin);
                let conditional = decision.value == Tri::Unknown;
                let mut evidence = Evidence::new(texts.id.clone());
                evidence.statements = decision.allowed_by.into();
                evidence.undecided = decision.undecided.into();
                if best.as_ref().is_none_or(|(_, c, _)| *c && !conditional) {
                    best = Some((evidence, conditional, rule.id.clone()));
                }
                if !conditional {
                    return best;
                }
            }
        }
        best
    }

    /// A cheap test that rules out a technique for an actor before trying each target: some
    /// permission it needs is certainly not allowed for any target. Only permissions no
    /// resource-based policy can grant are tested on identity statements alone; every one is
    /// then tested on the pattern standing for all its targets.
    fn may_apply(&self, rule: &Rule, actor: &Principal) -> bool {
        for permission in rule.permissions.iter().filter(|p| !p.unless_denied) {
            let service = permission
                .action
                .split(':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !crate::aws::authz::RESOURCE_POLICY_SERVICES.contains(&service.as_str()) {
                let named = actor.identity.iter().any(|p| {
                    p.missing_document
                        || p.candidates(&service).any(|i| {
                            let s = &p.statements[i];
                            s.effect == Effect::Allow
                                && crate::aws::policy::eval::action_matches(
                                    &s.actions,
                                    &permission.action,
                                )
                        })
                });
                if !named {
                    return false;
                }
            }
            let any_target = match rule.target {
                Target::User => format!("arn:aws:iam::{}:user/*", actor.account.id),
                Target::Role => format!("arn:aws:iam::{}:role/*", actor.account.id),
                Target::Group | Target::OwnGroup => {
                    format!("arn:aws:iam::{}:group/*", actor.account.id)
                }
                Target::OwnPolicy => format!("arn:aws:iam::{}:policy/*", actor.account.id),
                Target::Myself => actor.arn().to_string(),
            };
            let resource = resource_of(permission, &any_target, "*", actor);
            let context = request_keys(permission);
            if !self
                .authz
                .decide_with(actor, &permission.action, &resource, true, &context, false)
                .value
                .possible()
            {
                return false;
            }
        }
        true
    }

    /// Whether `actor` can apply `rule` to `aim`: every permission, the target's facts, the
    /// resources it needs. Questions are asked through `asked`, the actor's own: a permission's decision is shared
    /// between the targets it cannot tell apart.
    fn decide<'q>(
        &'q self,
        index: usize,
        actor: &'q Principal<'a>,
        aim: &Aim,
        asked: &mut Asked<'q, 'a>,
    ) -> Option<Decision> {
        let (rule, texts) = (&self.rules[index], &self.texts[index]);
        let mut value = Tri::True;
        let mut statements: Vec<StatementRef> = Vec::new();
        let mut undecided: Vec<Undecided> = Vec::new();
        for (number, permission) in rule.permissions.iter().enumerate() {
            let resource = || resource_of(permission, aim.arn(actor), aim.name(actor), actor);
            let keys = &self.keys[index][number];
            let d = if permission.resource.contains("{target.") {
                let resource = resource();
                asked
                    .many
                    .entry((index, number))
                    .or_insert_with(|| {
                        ManyResources::new(self.authz, actor, &permission.action, keys, false)
                    })
                    .decide(&resource, resource.contains('*'))
            } else {
                asked.fixed.entry((index, number)).or_insert_with(|| {
                    let resource = resource();
                    let pattern = resource.contains('*');
                    self.authz.decide_with(
                        actor,
                        &permission.action,
                        &resource,
                        pattern,
                        keys,
                        false,
                    )
                })
            };
            if permission.unless_denied {
                value = value.and(d.deny.not());
                if !value.possible() {
                    return None;
                }
                if d.deny == Tri::Unknown {
                    undecided.extend(d.undecided.iter().cloned());
                }
                continue;
            }
            value = value.and(d.value);
            if !value.possible() {
                return None;
            }
            statements.extend(d.allowed_by.iter().cloned());
            if d.value == Tri::Unknown {
                undecided.extend(d.undecided.iter().cloned());
            }
        }
        // Switching a policy to another version gives whatever that version allows.
        if let (Some(true), Aim::Policy(arn)) = (rule.other_version, aim) {
            if !actor.account.permissive_versions.contains(*arn) {
                value = value.and(Tri::Unknown);
                undecided.push(Undecided {
                    key: format!("other versions of {arn}").into(),
                    reason: "no other version allows everything; what the versions allow is not analysed beyond that".into(),
                });
            }
        }
        // Edit a role, then use it: only worth anything if the actor can assume the role.
        if let (Some(true), Aim::Role(role)) = (rule.assumable, aim) {
            let d = asked
                .assume
                .get_or_insert_with(|| {
                    ManyResources::new(self.authz, actor, super::assume::ASSUME_ROLE, &[], true)
                        .per_resource_policy()
                })
                .decide(&role.arn, false);
            value = value.and(d.value);
            if !value.possible() {
                return None;
            }
            statements.extend(d.allowed_by.iter().cloned());
            if d.value == Tri::Unknown {
                undecided.extend(d.undecided.iter().cloned());
            }
        }
        // Facts about the target the snapshot may not hold.
        if let (Some(wanted), Aim::User(user)) = (rule.console_password, aim) {
            match actor
                .account
                .credential_report
                .as_ref()
                .map(|r| r.get(&user.name).map(|row| row.has_password()))
            {
                Some(Some(has)) if has != wanted => return None,
                Some(Some(_)) => {}
                _ => {
                    value = value.and(Tri::Unknown);
                    undecided.push(Undecided {
                        key: "console password".into(),
                        reason: format!(
                            "the technique needs a user {} a console password; the snapshot has no credential report row for user/{}",
                            if wanted { "with" } else { "without" },
                            user.name
                        )
                        .into(),
                    });
                }
            }
        }
        for (requirement, no_inventory) in rule.requires.iter().zip(&texts.no_inventory) {
            let role = match aim {
                Aim::Role(r) => Some(*r),
                _ => None,
            };
            match actor
                .account
                .inventories
                .get(requirement.inventory.as_str())
            {
                None => {
                    value = value.and(Tri::Unknown);
                    undecided.push(no_inventory.clone());
                }
                Some(items) => {
                    let found = items
                        .iter()
                        .any(|item| match (requirement.runs_as_target, role) {
                            (true, Some(role)) => item.runs_as.as_deref().is_some_and(|r| {
                                r == role.arn || role.instance_profiles.iter().any(|p| p == r)
                            }),
                            _ => true,
                        });
                    if !found {
                        return None;
                    }
                }
            }
        }
        Some(Decision {
            value,
            explicit_deny: false,
            deny: Tri::False,
            allowed_by: statements,
            denied_by: Vec::new(),
            undecided,
            steps: Vec::new(),
            resource_names_caller: Tri::False,
        })
    }
}

/// The resource a technique's permission is asked on, its placeholders filled in: asked for
/// every target of every technique, so made without a copy when the template is the target
/// or has no placeholder, and otherwise in one pass.
fn resource_of<'r>(
    permission: &'r crate::rules::PermissionSyntax,
    target_arn: &'r str,
    target_name: &str,
    actor: &Principal,
) -> std::borrow::Cow<'r, str> {
    let template = permission.resource.as_str();
    if template == "{target.arn}" {
        return target_arn.into();
    }
    if !template.contains('{') {
        return template.into();
    }
    let placeholders = [
        ("{target.arn}", target_arn),
        ("{target.name}", target_name),
        ("{self.arn}", actor.arn()),
        ("{account}", actor.account.id.as_str()),
    ];
    let mut filled = String::with_capacity(template.len() + target_arn.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        filled.push_str(&rest[..start]);
        let tail = &rest[start..];
        let (value, taken) = placeholders
            .iter()
            .find(|(name, _)| tail.starts_with(name))
            .map_or(("{", 1), |(name, value)| (*value, name.len()));
        filled.push_str(value);
        rest = &tail[taken..];
    }
    filled.push_str(rest);
    filled.into()
}

/// The condition keys a technique's request carries besides the actor's.
fn request_keys(permission: &crate::rules::PermissionSyntax) -> Vec<(&str, &str)> {
    permission
        .context
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Folds an administrator-control edge the technique leads to into its decision.
fn merge_admin(decision: &mut Decision, admin: &Edge) {
    merge(
        decision,
        &admin.evidence,
        admin.reach == crate::graph::Reach::Conditional,
    );
}

/// Folds the evidence of a consequence (the admin check) into a technique's decision.
fn merge(decision: &mut Decision, evidence: &Evidence, conditional: bool) {
    if conditional {
        decision.value = decision.value.and(Tri::Unknown);
        decision
            .undecided
            .extend(evidence.undecided.iter().cloned());
    }
    for s in &evidence.statements {
        if !decision.allowed_by.contains(s) {
            decision.allowed_by.push(s.clone());
        }
    }
}

fn edge(
    texts: &RuleTexts,
    aim: &Aim,
    actor: &Principal,
    decision: Decision,
    suffix: &str,
) -> Option<Edge> {
    if !decision.value.possible() {
        return None;
    }
    let on = match aim {
        Aim::Myself => "itself",
        other => other.arn(actor),
    };
    let mut evidence = Evidence::new(texts.mechanism(on, suffix));
    evidence.rule = Some(texts.id.clone());
    evidence.statements = decision.allowed_by.into();
    evidence.statements.dedup();
    if decision.value == Tri::Unknown {
        let mut undecided = decision.undecided;
        undecided.sort();
        undecided.dedup();
        if undecided.is_empty() {
            undecided.push(Undecided {
                key: "policy".into(),
                reason: "the policies involved could not be fully decided".into(),
            });
        }
        evidence.undecided = undecided.into();
    }
    evidence.notes = texts.notes.clone();
    Some(Edge::new(EdgeKind::EscalatesTo, evidence))
}

/// Whether a role's trust policy allows the service to assume it.
fn trusts_service(role: &Role, service: &str) -> bool {
    role.trust.iter().flat_map(|t| &t.statements).any(|s| {
        s.effect == Effect::Allow && matches!(s.principal.as_deref(), Some(Principals::Only(set)) if set.service.iter().any(|x| x == service))
    })
}

/// Customer-managed policies attached to the actor or its groups: the ones it may rewrite.
fn own_policies<'a>(actor: &Principal<'a>) -> Vec<&'a str> {
    let account = actor.account;
    let mut arns: Vec<&str> = match actor.entity {
        Entity::User(user) => user
            .attached
            .iter()
            .map(String::as_str)
            .chain(
                user.groups
                    .iter()
                    .filter_map(|g| account.groups.iter().find(|x| &x.name == g))
                    .flat_map(|g| g.attached.iter().map(String::as_str)),
            )
            .collect(),
        Entity::Role(role) => role.attached.iter().map(String::as_str).collect(),
    };
    arns.retain(|a| !a.starts_with("arn:aws:iam::aws:policy/"));
    arns.sort_unstable();
    arns.dedup();
    arns
}

/// The policies a new member of `group` would hold (none when it already is one).
fn group_policies<'a>(
    account: &'a Account,
    group: &'a crate::aws::model::Group,
    actor: &Principal<'a>,
) -> Vec<&'a Policy> {
    if let Entity::User(user) = actor.entity {
        if user.groups.contains(&group.name) {
            return Vec::new();
        }
    }
    group
        .inline
        .iter()
        .chain(
            group
                .attached
                .iter()
                .filter_map(|arn| account.managed.get(arn)),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_filled_from_their_templates() {
        let account = Account {
            id: "111122223333".into(),
            ..Account::default()
        };
        let user = crate::aws::model::User {
            pointer: String::new(),
            name: "ci".into(),
            id: "AIDAEXAMPLE".into(),
            arn: "arn:aws:iam::111122223333:user/ci".into(),
            inline: Vec::new(),
            groups: Vec::new(),
            attached: Vec::new(),
            boundary: None,
            tags: Vec::new(),
            created: None,
        };
        let accounts = [];
        let book = PolicyBook::new(&accounts);
        let actor = Principal::user(&account, &user, &book);
        let fill = |template: &str| {
            let permission = crate::rules::PermissionSyntax {
                action: "iam:PassRole".into(),
                resource: template.into(),
                context: Default::default(),
                unless_denied: false,
            };
            resource_of(&permission, "arn:aws:iam::111122223333:role/r", "r", &actor).into_owned()
        };
        assert_eq!(fill("{target.arn}"), "arn:aws:iam::111122223333:role/r");
        assert_eq!(fill("*"), "*");
        assert_eq!(
            fill("arn:aws:lambda:*:{account}:function:*"),
            "arn:aws:lambda:*:111122223333:function:*"
        );
        assert_eq!(
            fill("{self.arn}|{target.name}|{target.arn}|{account}"),
            "arn:aws:iam::111122223333:user/ci|r|arn:aws:iam::111122223333:role/r|111122223333"
        );
        assert_eq!(fill("a{region}b{"), "a{region}b{");
    }

    #[test]
    fn a_target_is_told_by_the_end_of_its_mechanism() {
        assert!(is_joined("role/deploy via x", "role/deploy", " via x"));
        assert!(is_joined("role/deploy", "role/deplo", "y"));
        assert!(is_joined("role/deploy", "role/deploy", ""));
        assert!(!is_joined("role/deploy", "role/deplo", ""));
        assert!(!is_joined("role/deployy", "role/deploy", ""));
        assert!(!is_joined("role/deploy via y", "role/deploy", " via x"));
        assert!(!is_joined("role/deplox", "role/deploy", "x"));
    }

    #[test]
    fn a_mechanism_is_made_once_per_target_and_suffix() {
        let rules = crate::rules::RuleSet::builtin();
        assert!(rules.is_ok());
        let Ok(rules) = rules else { return };
        let Some(rule) = rules.rules.first() else {
            return;
        };
        let texts = RuleTexts::new(rule);
        let role = "arn:aws:iam::111122223333:role/deploy";
        let first = texts.mechanism(role, "");
        assert_eq!(
            first.as_str(),
            format!("{}: {} on {role}", rule.id, rule.title)
        );
        assert_eq!(texts.mechanism(role, "").address(), first.address());
        let other = texts.mechanism("arn:aws:iam::111122223333:role/deplo", "");
        assert!(other.ends_with("role/deplo"));
        let with = texts.mechanism(role, " via x");
        assert!(with.ends_with("role/deploy via x"));
        assert_ne!(with.address(), first.address());
        assert_eq!(texts.mechanism(role, " via x").address(), with.address());
        assert_eq!(
            texts
                .mechanism("arn:aws:iam::111122223333:role/deplo", "")
                .address(),
            other.address()
        );
    }
}
