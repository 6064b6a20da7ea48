//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, and the escapes
//! `${*}`, `${?}`, `${$}` that stand for the literal characters.

use super::context::{Context, KeyState};
use super::pattern;

/// A policy string with its variables replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Every variable resolved. A `*` or `?` produced by `${*}`/`${?}` is meant literally: it
    /// comes out as [`pattern::LITERAL_STAR`] / [`pattern::LITERAL_QUESTION`], which the
    /// matchers compare as the plain characters.
    Text(std::sync::Arc<str>),
    /// A variable whose value the analyzer does not know.
    Unknown { key: String },
    /// A variable absent from the request and without a default: the element matches nothing.
    Missing { key: String },
}

/// Replaces every `${...}` of `text` from the request context.
pub fn resolve(text: &str, ctx: &Context) -> Resolved {
    if !text.contains("${") {
        return Resolved::Text(text.into());
    }
    if let Some(resolved) = ctx.memo_get(text) {
        return resolved;
    }
    let mut used = Vec::new();
    let resolved = resolve_uncached(text, ctx, &mut used);
    ctx.memo_put(text, &resolved, used);
    resolved
}

fn resolve_uncached(text: &str, ctx: &Context, used: &mut Vec<String>) -> Resolved {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // An unterminated `${` is literal text.
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = after[..end].trim();
        rest = &after[end + 1..];
        match inner {
            "*" => out.push(pattern::LITERAL_STAR),
            "?" => out.push(pattern::LITERAL_QUESTION),
            "$" => out.push('$'),
            _ => {
                let (key, default) = split_default(inner);
                used.push(key.to_lowercase());
                match ctx.get(key) {
                    Some(KeyState::Values(values)) if values.len() == 1 => out.push_str(&values[0]),
                    Some(KeyState::Absent) => match default {
                        Some(d) => out.push_str(d),
                        None => {
                            return Resolved::Missing {
                                key: key.to_string(),
                            };
                        }
                    },
                    Some(KeyState::Values(values)) if values.is_empty() => match default {
                        Some(d) => out.push_str(d),
                        None => {
                            return Resolved::Missing {
                                key: key.to_string(),
                            };
                        }
                    },
                    _ => {
                        return Resolved::Unknown {
                            key: key.to_string(),
                        };
                    }
                }
            }
        }
    }
    out.push_str(rest);
    Resolved::Text(out.into())
}

/// `aws:username, 'anonymous'` → (`aws:username`, Some(`anonymous`)).
fn split_default(inner: &str) -> (&str, Option<&str>) {
    match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(default);
            (key.trim(), Some(default))
        }
        None => (inner, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        let mut c = Context::new();
        c.set("aws:username", "ci-deployer")
            .set_absent("aws:PrincipalTag/team");
        c
    }

    #[test]
    fn known_variables_resolve() {
        assert_eq!(
            resolve("arn:aws:iam::1:user/${aws:username}", &ctx()),
            Resolved::Text("arn:aws:iam::1:user/ci-deployer".into())
        );
        assert_eq!(
            resolve("${AWS:UserName}", &ctx()),
            Resolved::Text("ci-deployer".into())
        );
    }

    #[test]
    fn defaults_and_missing_keys() {
        assert_eq!(
            resolve("${aws:PrincipalTag/team, 'none'}", &ctx()),
            Resolved::Text("none".into())
        );
        assert_eq!(
            resolve("x/${aws:PrincipalTag/team}", &ctx()),
            Resolved::Missing {
                key: "aws:PrincipalTag/team".into()
            }
        );
        assert_eq!(
            resolve("${aws:SourceIp}", &ctx()),
            Resolved::Unknown {
                key: "aws:SourceIp".into()
            }
        );
    }

    #[test]
    fn escapes_are_literal() {
        let literal = format!("a{}b{}$", pattern::LITERAL_STAR, pattern::LITERAL_QUESTION);
        assert_eq!(
            resolve("a${*}b${?}${$}", &ctx()),
            Resolved::Text(literal.into())
        );
        assert!(
            !pattern::matches(&format!("a{}", pattern::LITERAL_STAR), "abc", false),
            "an escaped `*` is no wildcard"
        );
        assert!(pattern::matches(
            &format!("a{}", pattern::LITERAL_STAR),
            "a*",
            false
        ));
        assert_eq!(
            resolve("no variables *", &ctx()),
            Resolved::Text("no variables *".into())
        );
    }
}
