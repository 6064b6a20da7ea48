//! Three-valued evaluation of `Condition` blocks, as IAM documents it: clauses are ANDed,
//! values of one clause ORed, negated operators true on a missing key, `...IfExists` true on a
//! missing key, `ForAllValues` true and `ForAnyValue` false on a missing or empty key.

use super::context::{Context, KeyState};
use super::document::{Clause, OperatorKind, SetQualifier, Why};
use super::pattern;
use super::tri::Tri;
use super::variables::{Resolved, resolve};
use crate::graph::Undecided;
use chrono::{DateTime, Utc};
use std::net::IpAddr;

/// Evaluates a statement's clauses. Undecided keys are reported only when the result is
/// `Unknown`.
pub fn evaluate_all(clauses: &[Clause], ctx: &Context) -> (Tri, Vec<Undecided>) {
    let mut result = Tri::True;
    let mut undecided = Vec::new();
    for clause in clauses {
        let (value, why) = evaluate(clause, ctx);
        if value == Tri::Unknown {
            undecided.extend(why);
            undecided.extend(unknown_variables(clause, ctx));
        }
        result = result.and(value);
        if result == Tri::False {
            return (Tri::False, Vec::new());
        }
    }
    if result != Tri::Unknown {
        undecided.clear();
    }
    (result, undecided)
}

/// Policy variables in a clause's values that the context does not know: they decide the
/// clause too, whatever its own key.
fn unknown_variables(clause: &Clause, ctx: &Context) -> Vec<Undecided> {
    clause
        .values
        .iter()
        .filter_map(|v| match resolve(v, ctx) {
            Resolved::Unknown { key } if !key.eq_ignore_ascii_case(&clause.key) => Some(Undecided {
                reason: format!("policy variable `${{{key}}}` in a `{}` condition is not known from the snapshot", clause.key).into(),
                key: key.into(),
            }),
            _ => None,
        })
        .collect()
}

/// Evaluates one clause.
pub fn evaluate(clause: &Clause, ctx: &Context) -> (Tri, Option<Undecided>) {
    let op = &clause.operator;
    let made = |reason: String| Undecided {
        key: clause.key.as_str().into(),
        reason: reason.into(),
    };
    // The reasons that depend on the clause alone are made once per clause.
    let undecided = |why: Why, reason: &dyn Fn() -> String| {
        let u = clause.undecided.get(why, || made(reason()));
        (Tri::Unknown, Some(u))
    };
    if op.kind == OperatorKind::Unknown {
        return undecided(Why::Operator, &|| {
            format!("condition operator `{}` is not supported", op.raw)
        });
    }
    let state = match ctx.get(&clause.key_lower) {
        None => {
            return undecided(Why::UnknownKey, &|| {
                format!(
                    "`{}` is not known from the snapshot ({})",
                    clause.key, op.raw
                )
            });
        }
        Some(state) => state,
    };
    if op.kind == OperatorKind::Null {
        // `Null: true` holds when the key is absent.
        let absent = match state {
            KeyState::Absent => true,
            KeyState::Values(v) => v.is_empty(),
            KeyState::PresentUnknown => false,
        };
        let result = Tri::any(
            clause
                .values
                .iter()
                .map(|v| Tri::from_bool(v.eq_ignore_ascii_case("true") == absent)),
        );
        return (result, None);
    }
    let request_values = match state {
        KeyState::Absent => return (absent_result(clause), None),
        KeyState::Values(v) if v.is_empty() => return (absent_result(clause), None),
        KeyState::PresentUnknown => {
            return undecided(Why::UnknownValue, &|| {
                format!(
                    "`{}` is present but its value is not known from the snapshot",
                    clause.key
                )
            });
        }
        KeyState::Values(v) => v,
    };
    let mut unknown_variable = None;
    let mut per_value = |request: &str| {
        let (t, var) = value_matches(op.kind, request, &clause.values, ctx);
        if var.is_some() {
            unknown_variable = var;
        }
        t
    };
    let result = match op.set {
        SetQualifier::Single | SetQualifier::AnyValue => {
            Tri::any(request_values.iter().map(|r| per_value(r)))
        }
        SetQualifier::AllValues => Tri::all(request_values.iter().map(|r| per_value(r))),
    };
    match (result, unknown_variable) {
        (Tri::Unknown, Some(key)) => (
            Tri::Unknown,
            Some(made(format!(
                "policy variable `${{{key}}}` is not known from the snapshot"
            ))),
        ),
        (Tri::Unknown, None) => undecided(Why::Incomparable, &|| {
            format!(
                "values of `{}` could not be compared ({})",
                clause.key, op.raw
            )
        }),
        (t, _) => (t, None),
    }
}

/// The documented result of a clause whose key is missing from the request.
fn absent_result(clause: &Clause) -> Tri {
    let op = &clause.operator;
    match op.set {
        SetQualifier::AllValues => Tri::True,
        SetQualifier::AnyValue => Tri::False,
        SetQualifier::Single => Tri::from_bool(op.if_exists || op.kind.is_negated()),
    }
}

/// Whether one request value satisfies the clause: for positive operators some policy value
/// matches; for negated operators none does. Returns an unknown variable's key, if any.
fn value_matches(
    kind: OperatorKind,
    request: &str,
    policy_values: &[String],
    ctx: &Context,
) -> (Tri, Option<String>) {
    let mut unknown_key = None;
    let mut any = Tri::False;
    for raw in policy_values {
        // Values without variables need no resolution (and no allocation).
        if !raw.contains("${") {
            any = any.or(positive_match(kind, request, raw));
            continue;
        }
        let m = match resolve(raw, ctx) {
            Resolved::Text(value) => positive_match(kind, request, &value),
            Resolved::Missing { .. } => Tri::False,
            Resolved::Unknown { key } => {
                unknown_key = Some(key);
                Tri::Unknown
            }
        };
        any = any.or(m);
    }
    let result = if kind.is_negated() { any.not() } else { any };
    (result, unknown_key)
}

/// The positive form of an operator on one request value and one policy value.
fn positive_match(kind: OperatorKind, request: &str, value: &str) -> Tri {
    use OperatorKind::*;
    let like = matches!(
        kind,
        StringLike | StringNotLike | ArnEquals | ArnLike | ArnNotEquals | ArnNotLike
    );
    let unescaped;
    let value = if like {
        value
    } else {
        unescaped = pattern::unescape(value);
        unescaped.as_str()
    };
    match kind {
        StringEquals | StringNotEquals => Tri::from_bool(request == value),
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            Tri::from_bool(request.to_lowercase() == value.to_lowercase())
        }
        StringLike | StringNotLike => Tri::from_bool(pattern::matches(value, request, false)),
        NumericEquals | NumericNotEquals => numeric(request, value, |a, b| a == b),
        NumericLessThan => numeric(request, value, |a, b| a < b),
        NumericLessThanEquals => numeric(request, value, |a, b| a <= b),
        NumericGreaterThan => numeric(request, value, |a, b| a > b),
        NumericGreaterThanEquals => numeric(request, value, |a, b| a >= b),
        DateEquals | DateNotEquals => date(request, value, |a, b| a == b),
        DateLessThan => date(request, value, |a, b| a < b),
        DateLessThanEquals => date(request, value, |a, b| a <= b),
        DateGreaterThan => date(request, value, |a, b| a > b),
        DateGreaterThanEquals => date(request, value, |a, b| a >= b),
        Bool => Tri::from_bool(request.eq_ignore_ascii_case(value)),
        BinaryEquals => Tri::from_bool(request == value),
        IpAddress | NotIpAddress => ip_in_cidr(request, value),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Tri::from_bool(arn_like(value, request)),
        // Handled before values are compared.
        Null | Unknown => Tri::Unknown,
    }
}

fn numeric(request: &str, value: &str, cmp: impl Fn(f64, f64) -> bool) -> Tri {
    match (request.trim().parse::<f64>(), value.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => Tri::from_bool(cmp(a, b)),
        _ => Tri::Unknown,
    }
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(secs) = s.parse::<i64>() {
        return DateTime::from_timestamp(secs, 0);
    }
    // IAM also accepts a bare date (`2026-01-01`) and times without seconds' fraction or zone.
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

fn date(request: &str, value: &str, cmp: impl Fn(DateTime<Utc>, DateTime<Utc>) -> bool) -> Tri {
    match (parse_date(request), parse_date(value)) {
        (Some(a), Some(b)) => Tri::from_bool(cmp(a, b)),
        _ => Tri::Unknown,
    }
}

fn ip_in_cidr(request: &str, cidr: &str) -> Tri {
    let (net, bits) = match cidr.split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let (Ok(ip), Ok(net)) = (
        request.trim().parse::<IpAddr>(),
        net.trim().parse::<IpAddr>(),
    ) else {
        return Tri::Unknown;
    };
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Tri::from_bool(u32::from(ip) & mask == u32::from(net) & mask)
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            Tri::from_bool(u128::from(ip) & mask == u128::from(net) & mask)
        }
        _ => Tri::False,
    }
}

/// ARN comparison: the six colon-separated parts are matched one by one, each with wildcards;
/// the last part keeps any further colons.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    if p.len() != 6 || a.len() != 6 {
        return pattern::matches(pattern, arn, false);
    }
    p.iter().zip(&a).all(|(p, a)| pattern::matches(p, a, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::policy::document::Operator;

    fn clause(op: &str, key: &str, values: &[&str]) -> Clause {
        Clause {
            operator: Operator::parse(op),
            key: key.into(),
            key_lower: key.to_lowercase(),
            values: values.iter().map(|v| v.to_string()).collect(),
            undecided: Default::default(),
        }
    }

    fn long_term_key() -> Context {
        let mut c = Context::new();
        c.set_absent("aws:MultiFactorAuthPresent")
            .set_absent("aws:TokenIssueTime")
            .set("aws:username", "ci-deployer")
            .set("aws:PrincipalType", "User");
        c
    }

    #[test]
    fn mfa_on_a_long_term_key() {
        let c = long_term_key();
        assert_eq!(
            evaluate(&clause("Bool", "aws:MultiFactorAuthPresent", &["true"]), &c).0,
            Tri::False
        );
        assert_eq!(
            evaluate(
                &clause("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"]),
                &c
            )
            .0,
            Tri::True
        );
        assert_eq!(
            evaluate(&clause("Null", "aws:TokenIssueTime", &["true"]), &c).0,
            Tri::True
        );
    }

    #[test]
    fn unknown_keys_and_operators_are_undecided() {
        let c = long_term_key();
        let (t, why) = evaluate(&clause("StringEquals", "sts:ExternalId", &["x"]), &c);
        assert_eq!(t, Tri::Unknown);
        assert_eq!(
            why.map(|u| u.key.to_string()),
            Some("sts:ExternalId".to_string())
        );
        assert_eq!(
            evaluate(&clause("StringSoundsLike", "aws:username", &["x"]), &c).0,
            Tri::Unknown
        );
    }

    #[test]
    fn negated_operators_on_missing_keys() {
        let c = long_term_key();
        assert_eq!(
            evaluate(&clause("StringNotEquals", "aws:TokenIssueTime", &["x"]), &c).0,
            Tri::True
        );
        assert_eq!(
            evaluate(&clause("StringEquals", "aws:TokenIssueTime", &["x"]), &c).0,
            Tri::False
        );
        assert_eq!(
            evaluate(
                &clause("ForAllValues:StringEquals", "aws:TokenIssueTime", &["x"]),
                &c
            )
            .0,
            Tri::True
        );
        assert_eq!(
            evaluate(
                &clause("ForAnyValue:StringEquals", "aws:TokenIssueTime", &["x"]),
                &c
            )
            .0,
            Tri::False
        );
    }

    #[test]
    fn values_or_keys_and() {
        let c = long_term_key();
        assert_eq!(
            evaluate(
                &clause("StringEquals", "aws:username", &["a", "ci-deployer"]),
                &c
            )
            .0,
            Tri::True
        );
        assert_eq!(
            evaluate(
                &clause("StringNotEquals", "aws:username", &["a", "ci-deployer"]),
                &c
            )
            .0,
            Tri::False
        );
        let both = [
            clause("StringEquals", "aws:username", &["ci-deployer"]),
            clause("StringEquals", "sts:ExternalId", &["x"]),
        ];
        assert_eq!(evaluate_all(&both, &c).0, Tri::Unknown);
        let one_false = [
            clause("StringEquals", "aws:username", &["bob"]),
            clause("StringEquals", "sts:ExternalId", &["x"]),
        ];
        assert_eq!(evaluate_all(&one_false, &c), (Tri::False, vec![]));
    }

    #[test]
    fn policy_variables_in_values() {
        let mut c = long_term_key();
        c.set("s3:prefix", "home/ci-deployer/");
        assert_eq!(
            evaluate(
                &clause("StringLike", "s3:prefix", &["home/${aws:username}/*"]),
                &c
            )
            .0,
            Tri::True
        );
        let (t, why) = evaluate(
            &clause("StringLike", "s3:prefix", &["home/${aws:PrincipalTag/x}/*"]),
            &c,
        );
        assert_eq!(t, Tri::Unknown);
        assert!(
            why.map(|u| u.reason.contains("aws:PrincipalTag/x"))
                .unwrap_or(false)
        );
    }

    #[test]
    fn typed_operators() {
        let mut c = Context::new();
        c.set("aws:SourceIp", "203.0.113.9")
            .set("aws:CurrentTime", "2026-11-27T00:00:00Z")
            .set("n", "5");
        c.set(
            "aws:PrincipalArn",
            "arn:aws:iam::111122223333:role/ci/build",
        );
        assert_eq!(
            evaluate(
                &clause("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
                &c
            )
            .0,
            Tri::True
        );
        assert_eq!(
            evaluate(
                &clause("NotIpAddress", "aws:SourceIp", &["198.51.100.0/24"]),
                &c
            )
            .0,
            Tri::True
        );
        assert_eq!(
            evaluate(
                &clause("DateLessThan", "aws:CurrentTime", &["2027-01-01"]),
                &c
            )
            .0,
            Tri::True
        );
        assert_eq!(
            evaluate(&clause("NumericGreaterThan", "n", &["3"]), &c).0,
            Tri::True
        );
        assert_eq!(
            evaluate(
                &clause("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::*:role/ci/*"]),
                &c
            )
            .0,
            Tri::True
        );
        assert_eq!(
            evaluate(
                &clause(
                    "ArnNotEquals",
                    "aws:PrincipalArn",
                    &["arn:aws:iam::*:role/ci/*"]
                ),
                &c
            )
            .0,
            Tri::False
        );
    }
}
