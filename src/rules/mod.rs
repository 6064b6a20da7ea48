//! Declarative escalation rules (`policies/<cloud>/*.toml`): loading, checking, overriding.
//! The rules are data; `aws::lower::escalation` applies them and `check` runs their examples.

pub mod check;
mod syntax;

pub use syntax::{ExampleStatement, ExampleSyntax, PermissionSyntax, RuleFile, RuleSyntax};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Built-in rule files, embedded at compile time.
const BUILTIN: &[(&str, &str)] = &[
    (
        "policies/aws/credentials.toml",
        include_str!("../../policies/aws/credentials.toml"),
    ),
    (
        "policies/aws/policy-edits.toml",
        include_str!("../../policies/aws/policy-edits.toml"),
    ),
    (
        "policies/aws/trust.toml",
        include_str!("../../policies/aws/trust.toml"),
    ),
    (
        "policies/aws/passrole.toml",
        include_str!("../../policies/aws/passrole.toml"),
    ),
    (
        "policies/aws/existing-resources.toml",
        include_str!("../../policies/aws/existing-resources.toml"),
    ),
];

/// What a technique is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every other user of the actor's account.
    User,
    /// Every role of the actor's account (service-linked roles excepted).
    Role,
    /// Every group of the actor's account.
    Group,
    /// The actor itself.
    Myself,
    /// Groups the actor (a user) belongs to.
    OwnGroup,
    /// Customer-managed policies attached to the actor or its groups.
    OwnPolicy,
}

/// Which kind of principal can use a technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User,
    Role,
}

/// What a technique gives the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gives {
    /// It can act as the target (its credentials, or compute running as it).
    ActAs,
    /// It can grant itself any permission: administrator-equivalent within what still limits
    /// it (boundary, SCPs).
    Admin,
    /// It can join the target group and gain its permissions.
    Join,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub references: Vec<String>,
    pub target: Target,
    pub gives: Gives,
    /// Only users, or only roles, can use it; `None`: both.
    pub actor: Option<Actor>,
    pub permissions: Vec<PermissionSyntax>,
    pub console_password: Option<bool>,
    pub trusts_service: Option<String>,
    pub assumable: Option<bool>,
    pub other_version: Option<bool>,
    pub requires: Vec<syntax::RequirementSyntax>,
    pub persistence: Vec<String>,
    pub cloudtrail: Vec<String>,
    pub examples: Vec<ExampleSyntax>,
    /// The file the rule came from.
    pub file: String,
}

/// Why rules could not be loaded or are wrong: one line naming the file and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{file}`{}: {message}", rule.as_deref().map(|r| format!(" rule `{r}`")).unwrap_or_default())]
pub struct RuleError {
    pub file: String,
    pub rule: Option<String>,
    pub message: String,
}

fn err(file: &str, rule: Option<&str>, message: impl Into<String>) -> RuleError {
    RuleError {
        file: file.to_string(),
        rule: rule.map(str::to_string),
        message: message.into(),
    }
}

/// The rules in force: the built-in ones, then those of `--policies DIR` adding or replacing
/// by id.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

const PLACEHOLDERS: &[&str] = &["{target.arn}", "{target.name}", "{self.arn}", "{account}"];
const INVENTORIES: &[&str] = &[
    "ec2-instances",
    "lambda-functions",
    "glue-dev-endpoints",
    "sagemaker-notebooks",
    "cloudformation-stacks",
    "codebuild-projects",
];

impl RuleSet {
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (file, text) in BUILTIN {
            set.add_file(file, text)?;
        }
        Ok(set)
    }

    /// The built-in rules with those of `dir` (every `*.toml` below it holding `[[rule]]`).
    pub fn load(dir: Option<&Path>) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::builtin()?;
        if let Some(dir) = dir {
            let mut files = Vec::new();
            walk(dir, &mut files).map_err(|e| {
                err(
                    &dir.display().to_string(),
                    None,
                    format!("cannot read the directory: {e}"),
                )
            })?;
            files.sort();
            if files.is_empty() {
                return Err(err(
                    &dir.display().to_string(),
                    None,
                    "holds no `*.toml` rule file",
                ));
            }
            for file in files {
                let name = file.display().to_string();
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| err(&name, None, format!("cannot read: {e}")))?;
                set.add_file(&name, &text)?;
            }
        }
        Ok(set)
    }

    fn add_file(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let parsed: RuleFile =
            toml::from_str(text).map_err(|e| err(file, None, one_line(&e.to_string())))?;
        let mut seen = BTreeMap::new();
        for syntax in parsed.rule {
            if seen.insert(syntax.id.clone(), ()).is_some() {
                return Err(err(
                    file,
                    Some(&syntax.id),
                    "the id appears twice in this file",
                ));
            }
            let rule = compile(file, syntax)?;
            match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => *existing = rule,
                None => self.rules.push(rule),
            }
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&path)?;
            // Data files of another shape (resource kinds) sit beside the rules.
            if text.contains("[[rule]]") {
                out.push(path);
            }
        }
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks a rule as written and turns it into a [`Rule`].
fn compile(file: &str, s: RuleSyntax) -> Result<Rule, RuleError> {
    let id = s.id.clone();
    let bad = |m: String| err(file, Some(&id), m);
    let well_formed = id.split('.').count() >= 3
        && id.starts_with("aws.")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !well_formed {
        return Err(bad(
            "an id is `aws.<service>.<technique>`: lower case, digits, `-` and `.`".into(),
        ));
    }
    if s.title.trim().is_empty() {
        return Err(bad("the title is empty".into()));
    }
    if s.references.is_empty() {
        return Err(bad(
            "a rule names at least one reference where the technique is documented".into(),
        ));
    }
    let target = match s.target.as_str() {
        "user" => Target::User,
        "role" => Target::Role,
        "group" => Target::Group,
        "self" => Target::Myself,
        "own-group" => Target::OwnGroup,
        "own-policy" => Target::OwnPolicy,
        other => {
            return Err(bad(format!(
                "unknown target `{other}`; expected user, role, group, self, own-group or own-policy"
            )));
        }
    };
    let actor = match s.actor.as_deref() {
        None => None,
        Some("user") => Some(Actor::User),
        Some("role") => Some(Actor::Role),
        Some(other) => {
            return Err(bad(format!(
                "unknown actor `{other}`; expected user or role"
            )));
        }
    };
    let gives = match s.gives.as_str() {
        "act-as" => Gives::ActAs,
        "admin" => Gives::Admin,
        "join" => Gives::Join,
        other => {
            return Err(bad(format!(
                "unknown `gives = \"{other}\"`; expected act-as, admin or join"
            )));
        }
    };
    match (target, gives) {
        (Target::User | Target::Role, Gives::ActAs)
        | (Target::Myself | Target::OwnGroup | Target::OwnPolicy | Target::Role, Gives::Admin)
        | (Target::Group, Gives::Join) => {}
        _ => {
            return Err(bad(format!(
                "target `{}` cannot give `{}`",
                s.target, s.gives
            )));
        }
    }
    if s.permissions.is_empty() {
        return Err(bad("a technique needs at least one permission".into()));
    }
    for p in &s.permissions {
        let Some((service, action)) = p.action.split_once(':') else {
            return Err(bad(format!(
                "permission `{}` is not `service:Action`",
                p.action
            )));
        };
        if service.is_empty()
            || action.is_empty()
            || p.action.contains(char::is_whitespace)
            || p.action.contains('*')
        {
            return Err(bad(format!(
                "permission `{}` must name one action",
                p.action
            )));
        }
        let mut rest = p.resource.clone();
        for placeholder in PLACEHOLDERS {
            rest = rest.replace(placeholder, "");
        }
        if rest.contains('{') || rest.contains('}') {
            return Err(bad(format!(
                "resource `{}` uses an unknown placeholder; known: {}",
                p.resource,
                PLACEHOLDERS.join(", ")
            )));
        }
    }
    for r in &s.requires {
        if !INVENTORIES.contains(&r.inventory.as_str()) {
            return Err(bad(format!(
                "unknown inventory `{}`; known: {}",
                r.inventory,
                INVENTORIES.join(", ")
            )));
        }
    }
    let filter = &s.target_filter;
    if filter.console_password.is_some() && target != Target::User {
        return Err(bad("`console_password` filters users only".into()));
    }
    if target == Target::OwnGroup && actor == Some(Actor::Role) {
        return Err(bad("roles belong to no group".into()));
    }
    if (filter.trusts_service.is_some() || filter.assumable.is_some()) && target != Target::Role {
        return Err(bad(
            "`trusts_service` and `assumable` filter roles only".into()
        ));
    }
    for e in &s.example {
        if !matches!(e.expect.as_str(), "definite" | "conditional" | "none") {
            return Err(bad(format!(
                "example `{}` expects `{}`; expected definite, conditional or none",
                e.name, e.expect
            )));
        }
    }
    // revoke-plan turns each technique on a radius into a persistence check: a rule
    // that names nothing to look for would give the responder an empty step.
    if s.persistence.is_empty() || s.audit.cloudtrail.is_empty() {
        return Err(bad(
            "a rule names what it could leave behind (`persistence`) and the CloudTrail \
             events that show it (`audit.cloudtrail`)"
                .into(),
        ));
    }
    if !s.example.iter().any(|e| e.expect != "none")
        || !s.example.iter().any(|e| e.expect == "none")
    {
        return Err(bad(
            "a rule carries at least one positive and one negative example".into(),
        ));
    }
    Ok(Rule {
        id: s.id,
        title: s.title,
        references: s.references,
        target,
        gives,
        actor,
        permissions: s.permissions,
        console_password: filter.console_password,
        trusts_service: filter.trusts_service.clone(),
        assumable: filter.assumable,
        other_version: filter.other_version,
        requires: s.requires,
        persistence: s.persistence,
        cloudtrail: s.audit.cloudtrail,
        examples: s.example,
        file: file.to_string(),
    })
}
