//! The IAM policy language as data: documents, statements, and the elements a request is
//! matched against. Parsed from `serde_json::Value` so that every error can name the JSON
//! pointer of the offending element.

use serde_json::Value;
use std::sync::Arc;

/// Where a policy document sits in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    /// Snapshot file, relative to the snapshot root.
    pub file: Arc<str>,
    /// JSON pointer of the document inside the file. When the file holds the document as an
    /// URL-encoded string, statement pointers continue into the decoded document.
    pub pointer: String,
    /// Policy name or ARN, for people.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub source: PolicySource,
    pub statements: Vec<Statement>,
    /// The snapshot names the policy but does not hold its document: anything may be allowed.
    pub missing_document: bool,
    /// Which statements can apply to a request for a given service, for a policy of more
    /// than a few statements: read through [`Policy::candidates`].
    index: Option<Box<ServiceIndex>>,
}

impl Policy {
    /// Statement numbers that may apply to an action of `service` (lower-cased), ascending.
    pub fn candidates<'p>(&'p self, service: &'p str) -> impl Iterator<Item = usize> + 'p {
        let (indexed, direct) = match &self.index {
            Some(index) => (Some(index.candidates(service)), None),
            None => (
                None,
                Some(
                    self.statements
                        .iter()
                        .enumerate()
                        .filter(move |(_, s)| match &s.action_services {
                            Some(services) => services.iter().any(|x| x == service),
                            None => true,
                        })
                        .map(|(i, _)| i),
                ),
            ),
        };
        indexed
            .into_iter()
            .flatten()
            .chain(direct.into_iter().flatten())
    }
}

/// Statements by the lower-cased services their actions name, so that evaluating a request
/// visits only the statements that can match it. Statement numbers stay in document order.
///
/// Made only for policies of more than [`ServiceIndex::SMALL`] statements: a snapshot holds
/// hundreds of thousands of one-statement trust and inline policies, whose statements are
/// checked directly (see [`Policy::candidates`]) faster than a table is read, and a table
/// each would cost hundreds of bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceIndex {
    by_service: std::collections::HashMap<String, Vec<u32>>,
    /// Statements whose actions may name any service (`*`, `*:Get*`, `NotAction`).
    any_service: Vec<u32>,
}

impl ServiceIndex {
    /// Up to this many statements a policy has no index.
    const SMALL: usize = 4;

    fn build(statements: &[Statement]) -> Option<Box<ServiceIndex>> {
        if statements.len() <= Self::SMALL {
            return None;
        }
        let mut index = ServiceIndex::default();
        for (i, statement) in statements.iter().enumerate() {
            let i = i as u32;
            match &statement.action_services {
                Some(services) => {
                    for service in services {
                        index.by_service.entry(service.clone()).or_default().push(i);
                    }
                }
                None => index.any_service.push(i),
            }
        }
        Some(Box::new(index))
    }

    /// Statement numbers that may apply to an action of `service` (lower-cased), ascending.
    pub fn candidates(&self, service: &str) -> impl Iterator<Item = usize> + '_ {
        let named = self
            .by_service
            .get(service)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        merge_sorted(named, &self.any_service).map(|i| i as usize)
    }
}

/// The union of two ascending lists, ascending.
fn merge_sorted<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => return None,
        };
        Some(next)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// `Action` or `NotAction`: a list of `service:action` patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actions {
    Only(Vec<String>),
    AllBut(Vec<String>),
}

/// `Resource` or `NotResource`: a list of ARN patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resources {
    Only(Vec<String>),
    AllBut(Vec<String>),
}

/// The principals a `Principal` or `NotPrincipal` element names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalSet {
    /// `"Principal": "*"`: everyone, authenticated or not.
    pub everyone: bool,
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    Only(PrincipalSet),
    AllBut(PrincipalSet),
}

/// A condition operator, split into its parts: `ForAnyValue:StringLikeIfExists` is
/// `{set: AnyValue, kind: StringLike, if_exists: true}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub raw: String,
    pub set: SetQualifier,
    pub kind: OperatorKind,
    pub if_exists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    Single,
    AllValues,
    AnyValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
    /// An operator this evaluator does not know: the clause is always undecided.
    Unknown,
}

impl OperatorKind {
    fn parse(name: &str) -> OperatorKind {
        use OperatorKind::*;
        match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "BinaryEquals" => BinaryEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => Unknown,
        }
    }

    /// Operators whose meaning is "the key does not match": true when the key is absent.
    pub fn is_negated(self) -> bool {
        use OperatorKind::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

impl Operator {
    pub fn parse(raw: &str) -> Operator {
        let (set, rest) = if let Some(rest) = raw.strip_prefix("ForAllValues:") {
            (SetQualifier::AllValues, rest)
        } else if let Some(rest) = raw.strip_prefix("ForAnyValue:") {
            (SetQualifier::AnyValue, rest)
        } else {
            (SetQualifier::Single, raw)
        };
        let (name, if_exists) = match rest.strip_suffix("IfExists") {
            // `Null` takes no IfExists suffix; `NullIfExists` is not an operator.
            Some(name) if name != "Null" => (name, true),
            _ => (rest, false),
        };
        Operator {
            raw: raw.to_string(),
            set,
            kind: OperatorKind::parse(name),
            if_exists,
        }
    }
}

/// One `operator: {key: values}` entry of a `Condition` block. Clauses of a statement are
/// ANDed; the values of one clause are ORed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub operator: Operator,
    pub key: String,
    /// `key` lower-cased, for look-ups: condition key names compare without case.
    pub key_lower: String,
    pub values: Vec<String>,
    /// What evaluation reports when it cannot decide the clause, made on first use: the
    /// same clause is evaluated for thousands of requests while a graph is built.
    pub undecided: UndecidedClause,
}

/// Why a clause may be undecided, whatever the request (see `condition::evaluate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    Operator,
    UnknownKey,
    UnknownValue,
    Incomparable,
}

/// The undecided condition of a clause for each [`Why`], each made once. Not part of what
/// the clause says: two clauses are equal whatever either has made so far.
#[derive(Debug, Clone, Default)]
pub struct UndecidedClause([std::sync::OnceLock<crate::graph::Undecided>; 4]);

impl UndecidedClause {
    pub fn get(
        &self,
        why: Why,
        make: impl FnOnce() -> crate::graph::Undecided,
    ) -> crate::graph::Undecided {
        let cell = &self.0[why as usize];
        cell.get_or_init(make).clone()
    }
}

impl PartialEq for UndecidedClause {
    fn eq(&self, _: &UndecidedClause) -> bool {
        true
    }
}

impl Eq for UndecidedClause {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Where the statement's own pointer starts in its citation's pointer: see
    /// [`Statement::pointer`].
    within: u32,
    /// Lower-cased services of an `Action` list whose every pattern names its service
    /// without a wildcard (`s3:Get*`): a request for another service skips the statement
    /// without matching. `None` when some pattern could match any service.
    pub action_services: Option<Box<[String]>>,
    /// Whether a `Resource`/`NotResource` pattern holds a policy variable.
    pub resource_variables: bool,
    pub sid: Option<String>,
    pub effect: Effect,
    /// How evidence names the statement, made once: decisions cite statements millions of
    /// times while building a graph, and every citation shares these strings.
    pub reference: crate::graph::StatementRef,
    /// Boxed: most statements (those of identity policies) have none.
    pub principal: Option<Box<Principals>>,
    pub actions: Actions,
    pub resources: Option<Resources>,
    /// Exactly sized: a clause is 200 bytes, and a vector grown by pushing holds room for four.
    pub conditions: Box<[Clause]>,
}

impl Statement {
    /// JSON pointer of the statement inside its document (`/Statement/2`): the end of its
    /// citation's pointer, which goes from the snapshot file's root.
    pub fn pointer(&self) -> &str {
        self.reference
            .pointer
            .get(self.within as usize..)
            .unwrap_or_default()
    }
}

/// Why a policy document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at `{pointer}`")]
pub struct PolicyError {
    /// Pointer inside the document.
    pub pointer: String,
    pub message: String,
}

fn err(pointer: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// Turns a document as the snapshot holds it — a JSON object, a JSON string, or the
/// URL-encoded string the IAM API returns — into a JSON value.
pub fn decode_document(value: &Value) -> Result<Value, PolicyError> {
    match value {
        Value::Object(_) => Ok(value.clone()),
        Value::String(text) => {
            let trimmed = text.trim_start();
            let decoded = if trimmed.starts_with('{') {
                std::borrow::Cow::Borrowed(text.as_str())
            } else {
                percent_encoding::percent_decode_str(text)
                    .decode_utf8()
                    .map_err(|_| err("", "URL-encoded policy document is not UTF-8"))?
            };
            serde_json::from_str(&decoded)
                .map_err(|e| err("", format!("policy document is not valid JSON: {e}")))
        }
        other => Err(err(
            "",
            format!(
                "policy document must be an object or a string, found {}",
                type_name(other)
            ),
        )),
    }
}

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Policy {
    /// Parses a decoded document. AWS accepts a single statement object or an array, string or
    /// array values for most elements, and any JSON scalar as a condition value.
    pub fn parse(source: PolicySource, document: &Value) -> Result<Policy, PolicyError> {
        let Value::Object(doc) = document else {
            return Err(err(
                "",
                format!(
                    "policy document must be an object, found {}",
                    type_name(document)
                ),
            ));
        };
        // Policy variables exist only in version 2012-10-17; in older documents (or without a
        // Version) `${...}` is literal text.
        let variables = doc.get("Version").and_then(Value::as_str) == Some("2012-10-17");
        let name: Arc<str> = Arc::from(source.name.as_str());
        let statements = match doc.get("Statement") {
            None => return Err(err("", "policy document has no `Statement`")),
            Some(Value::Array(items)) if items.is_empty() => {
                return Err(err("/Statement", "`Statement` is empty"));
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    parse_statement(&source, &name, &format!("/Statement/{i}"), s, variables)
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(single @ Value::Object(_)) => {
                vec![parse_statement(
                    &source,
                    &name,
                    "/Statement",
                    single,
                    variables,
                )?]
            }
            Some(other) => {
                return Err(err(
                    "/Statement",
                    format!(
                        "`Statement` must be an object or an array, found {}",
                        type_name(other)
                    ),
                ));
            }
        };
        let index = ServiceIndex::build(&statements);
        Ok(Policy {
            source,
            statements,
            missing_document: false,
            index,
        })
    }

    /// Keeps the statements `keep` accepts (what-if edits), and the index in step with them.
    pub fn retain_statements(&mut self, keep: impl FnMut(&Statement) -> bool) {
        self.statements.retain(keep);
        self.index = ServiceIndex::build(&self.statements);
    }

    /// A policy the snapshot names without its document.
    pub fn missing(source: PolicySource) -> Policy {
        Policy {
            source,
            statements: Vec::new(),
            missing_document: true,
            index: None,
        }
    }
}

fn parse_statement(
    source: &PolicySource,
    policy_name: &Arc<str>,
    pointer: &str,
    value: &Value,
    variables: bool,
) -> Result<Statement, PolicyError> {
    let Value::Object(map) = value else {
        return Err(err(
            pointer,
            format!("statement must be an object, found {}", type_name(value)),
        ));
    };
    let at = |field: &str| format!("{pointer}/{field}");
    let sid = match map.get("Sid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(err(
                at("Sid"),
                format!("`Sid` must be a string, found {}", type_name(other)),
            ));
        }
    };
    let effect = match map.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(Value::String(s)) => {
            return Err(err(
                at("Effect"),
                format!("`Effect` must be `Allow` or `Deny`, found `{s}`"),
            ));
        }
        Some(other) => {
            return Err(err(
                at("Effect"),
                format!("`Effect` must be a string, found {}", type_name(other)),
            ));
        }
        None => return Err(err(pointer, "statement has no `Effect`")),
    };
    let actions = match (map.get("Action"), map.get("NotAction")) {
        (Some(v), None) => Actions::Only(string_list(&at("Action"), v)?),
        (None, Some(v)) => Actions::AllBut(string_list(&at("NotAction"), v)?),
        (Some(_), Some(_)) => {
            return Err(err(pointer, "statement has both `Action` and `NotAction`"));
        }
        (None, None) => {
            return Err(err(
                pointer,
                "statement has neither `Action` nor `NotAction`",
            ));
        }
    };
    let resources = match (map.get("Resource"), map.get("NotResource")) {
        (Some(v), None) => Some(Resources::Only(string_list(&at("Resource"), v)?)),
        (None, Some(v)) => Some(Resources::AllBut(string_list(&at("NotResource"), v)?)),
        (Some(_), Some(_)) => {
            return Err(err(
                pointer,
                "statement has both `Resource` and `NotResource`",
            ));
        }
        (None, None) => None,
    };
    let principal = match (map.get("Principal"), map.get("NotPrincipal")) {
        (Some(v), None) => Some(Box::new(Principals::Only(principal_set(
            &at("Principal"),
            v,
        )?))),
        (None, Some(v)) => Some(Box::new(Principals::AllBut(principal_set(
            &at("NotPrincipal"),
            v,
        )?))),
        (Some(_), Some(_)) => {
            return Err(err(
                pointer,
                "statement has both `Principal` and `NotPrincipal`",
            ));
        }
        (None, None) => None,
    };
    let conditions = match map.get("Condition") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => parse_conditions(&at("Condition"), v)?,
    };
    let (resources, conditions): (_, Vec<Clause>) = if variables {
        (resources, conditions)
    } else {
        (
            resources.map(literal_resources),
            conditions.into_iter().map(literal_clause).collect(),
        )
    };
    let conditions = conditions.into_boxed_slice();
    let action_services = match &actions {
        Actions::Only(list) => list
            .iter()
            .map(|a| match a.split_once(':') {
                Some((service, _)) if !service.contains(['*', '?']) => {
                    Some(service.to_ascii_lowercase())
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|mut v| {
                v.sort();
                v.dedup();
                v.into_boxed_slice()
            }),
        Actions::AllBut(_) => None,
    };
    let resource_variables = match &resources {
        Some(Resources::Only(list) | Resources::AllBut(list)) => {
            list.iter().any(|r| r.contains("${"))
        }
        None => false,
    };
    let reference = crate::graph::StatementRef::new(crate::graph::Citation {
        file: source.file.clone(),
        pointer: Arc::from(format!("{}{pointer}", source.pointer)),
        policy: policy_name.clone(),
        sid: sid.as_deref().filter(|s| !s.is_empty()).map(Arc::from),
        effect: effect.as_str(),
    });
    Ok(Statement {
        within: source.pointer.len() as u32,
        action_services,
        resource_variables,
        sid,
        effect,
        reference,
        principal,
        actions,
        resources,
        conditions,
    })
}

/// Makes `${...}` literal: `${$}` is the escape for `$`, so `${x}` becomes `${$}{x}`.
fn literal_text(s: String) -> String {
    if s.contains("${") {
        s.replace('$', "${$}")
    } else {
        s
    }
}

fn literal_resources(r: Resources) -> Resources {
    match r {
        Resources::Only(list) => Resources::Only(list.into_iter().map(literal_text).collect()),
        Resources::AllBut(list) => Resources::AllBut(list.into_iter().map(literal_text).collect()),
    }
}

fn literal_clause(mut c: Clause) -> Clause {
    c.values = c.values.into_iter().map(literal_text).collect();
    c
}

fn string_list(pointer: &str, value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(err(
                    format!("{pointer}/{i}"),
                    format!("expected a string, found {}", type_name(other)),
                )),
            })
            .collect(),
        other => Err(err(
            pointer,
            format!(
                "expected a string or an array of strings, found {}",
                type_name(other)
            ),
        )),
    }
}

fn principal_set(pointer: &str, value: &Value) -> Result<PrincipalSet, PolicyError> {
    let mut set = PrincipalSet::default();
    match value {
        Value::String(s) if s == "*" => set.everyone = true,
        Value::String(s) => {
            return Err(err(
                pointer,
                format!(
                    "a principal string must be `*`, found `{s}`; name principals as {{\"AWS\": ...}}"
                ),
            ));
        }
        Value::Object(map) => {
            for (kind, names) in map {
                let names = string_list(&format!("{pointer}/{kind}"), names)?;
                match kind.as_str() {
                    "AWS" => set.aws.extend(names),
                    "Service" => set.service.extend(names),
                    "Federated" => set.federated.extend(names),
                    "CanonicalUser" => set.canonical_user.extend(names),
                    other => {
                        return Err(err(
                            format!("{pointer}/{other}"),
                            format!(
                                "unknown principal type `{other}`; expected AWS, Service, Federated or CanonicalUser"
                            ),
                        ));
                    }
                }
            }
        }
        other => {
            return Err(err(
                pointer,
                format!(
                    "principal must be `*` or an object, found {}",
                    type_name(other)
                ),
            ));
        }
    }
    Ok(set)
}

fn parse_conditions(pointer: &str, value: &Value) -> Result<Vec<Clause>, PolicyError> {
    let Value::Object(block) = value else {
        return Err(err(
            pointer,
            format!("`Condition` must be an object, found {}", type_name(value)),
        ));
    };
    let mut clauses = Vec::new();
    for (operator, keys) in block {
        let at = format!("{pointer}/{}", escape_pointer(operator));
        let Value::Object(keys) = keys else {
            return Err(err(
                at,
                format!(
                    "condition operator `{operator}` must map keys to values, found {}",
                    type_name(keys)
                ),
            ));
        };
        let operator = Operator::parse(operator);
        for (key, values) in keys {
            let at = format!("{at}/{}", escape_pointer(key));
            let values = match values {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| scalar(&format!("{at}/{i}"), v))
                    .collect::<Result<_, _>>()?,
                single => vec![scalar(&at, single)?],
            };
            clauses.push(Clause {
                operator: operator.clone(),
                key: key.clone(),
                key_lower: key.to_lowercase(),
                values,
                undecided: UndecidedClause::default(),
            });
        }
    }
    Ok(clauses)
}

fn scalar(pointer: &str, value: &Value) -> Result<String, PolicyError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(err(
            pointer,
            format!(
                "condition value must be a string, number or boolean, found {}",
                type_name(other)
            ),
        )),
    }
}

/// Escapes a JSON object key for use in a JSON pointer (RFC 6901).
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn source() -> PolicySource {
        PolicySource {
            file: Arc::from("f.json"),
            pointer: "/doc".into(),
            name: "p".into(),
        }
    }

    #[test]
    fn single_statement_and_string_values() {
        let p = Policy::parse(
            source(),
            &json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
        )
        .map_err(|e| e.to_string());
        let p = p.as_ref().map(|p| p.statements.len());
        assert_eq!(p, Ok(1));
    }

    #[test]
    fn a_statement_points_inside_its_document_and_its_citation_from_the_file() {
        let p = Policy::parse(
            source(),
            &json!({"Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                {"Effect": "Deny", "Action": ["s3:Get*", "S3:Put*"], "Resource": "*",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            ]}),
        );
        let p = p.map_err(|e| e.to_string());
        assert!(p.is_ok(), "{p:?}");
        let Ok(p) = p else { return };
        let second = &p.statements[1];
        assert_eq!(second.pointer(), "/Statement/1");
        assert_eq!(&*second.reference.pointer, "/doc/Statement/1");
        assert!(second.principal.is_none());
        assert_eq!(second.conditions.len(), 1);
        assert_eq!(
            second.action_services.as_deref(),
            Some(&["s3".to_string()][..])
        );
    }

    #[test]
    fn candidates_are_the_statements_that_may_name_the_service_with_or_without_an_index() {
        let statement =
            |action: Value| json!({"Effect": "Allow", "Action": action, "Resource": "*"});
        let all = [
            statement(json!("s3:GetObject")),
            statement(json!(["IAM:PassRole", "s3:Put*"])),
            statement(json!("*")),
            statement(json!("ec2:*")),
            statement(json!("*:Describe*")),
            statement(json!(["sts:AssumeRole"])),
        ];
        for n in [1, 3, all.len()] {
            let p =
                Policy::parse(source(), &json!({"Statement": all[..n]})).map_err(|e| e.to_string());
            assert!(p.is_ok(), "{p:?}");
            let Ok(p) = p else { return };
            assert_eq!(p.index.is_some(), n > ServiceIndex::SMALL);
            let expected = |service: &str| -> Vec<usize> {
                [&["s3"][..], &["iam", "s3"], &[], &["ec2"], &[], &["sts"]][..n]
                    .iter()
                    .enumerate()
                    .filter(|(i, named)| [2, 4].contains(i) || named.contains(&service))
                    .map(|(i, _)| i)
                    .collect()
            };
            for service in ["s3", "iam", "ec2", "sts", "lambda"] {
                let found: Vec<usize> = p.candidates(service).collect();
                assert_eq!(found, expected(service), "{n} statements, {service}");
            }
        }
    }

    #[test]
    fn url_encoded_documents_decode() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        let doc = decode_document(&json!(encoded));
        assert_eq!(
            doc.ok().and_then(|d| d.get("Version").cloned()),
            Some(json!("2012-10-17"))
        );
        let raw = decode_document(&json!("{\"Statement\": []}"));
        assert!(raw.is_ok());
    }

    #[test]
    fn errors_name_the_element() {
        let e = Policy::parse(
            source(),
            &json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Alow", "Action": "*"}]}),
        );
        assert_eq!(
            e.err().map(|e| e.to_string()),
            Some(
                "`Effect` must be `Allow` or `Deny`, found `Alow` at `/Statement/1/Effect`"
                    .to_string()
            )
        );
        let e = Policy::parse(
            source(),
            &json!({"Statement": [{"Effect": "Allow", "Action": 3}]}),
        );
        assert_eq!(
            e.err().map(|e| e.pointer),
            Some("/Statement/0/Action".to_string())
        );
    }

    #[test]
    fn operators_split_into_parts() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists");
        assert_eq!(
            (op.set, op.kind, op.if_exists),
            (SetQualifier::AnyValue, OperatorKind::StringLike, true)
        );
        let op = Operator::parse("Null");
        assert_eq!((op.kind, op.if_exists), (OperatorKind::Null, false));
        assert_eq!(
            Operator::parse("StringSoundsLike").kind,
            OperatorKind::Unknown
        );
    }

    #[test]
    fn condition_values_of_any_scalar_type() {
        let p = Policy::parse(
            source(),
            &json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": false}, "NumericLessThan": {"aws:MultiFactorAuthAge": [3600]}}}]}),
        );
        let clauses = p
            .map(|p| p.statements[0].conditions.clone())
            .unwrap_or_default();
        assert_eq!(clauses.len(), 2);
        assert_eq!(clauses[0].values, vec!["false"]);
        assert_eq!(clauses[1].values, vec!["3600"]);
    }
}
