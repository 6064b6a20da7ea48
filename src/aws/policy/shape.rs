//! Questions about statements as sets of (action, resource) pairs rather than about one
//! request: does one statement cover another, may two overlap, does one grant everything.
//! Answers err on the safe side: "covers" is only said when certain, "may overlap" whenever
//! possible.

use super::context::Context;
use super::document::{Actions, Resources};
use super::pattern;
use super::variables::{Resolved, resolve};

/// A resource pattern after policy variables were replaced.
enum ResolvedPattern {
    Pattern(String),
    /// An unknown variable: the pattern may match anything, and covers nothing for sure.
    Unknown,
    /// A missing variable without a default: the pattern matches nothing.
    Nothing,
}

fn resolve_pattern(raw: &str, ctx: &Context) -> ResolvedPattern {
    match resolve(raw, ctx) {
        Resolved::Text(p) => ResolvedPattern::Pattern(p.to_string()),
        Resolved::Unknown { .. } => ResolvedPattern::Unknown,
        Resolved::Missing { .. } => ResolvedPattern::Nothing,
    }
}

/// Whether `outer` certainly allows every action `inner` names.
pub fn actions_cover(outer: &Actions, inner: &Actions) -> bool {
    match (outer, inner) {
        (Actions::Only(o), Actions::Only(i)) => i
            .iter()
            .all(|ip| o.iter().any(|op| pattern::covers(op, ip, true))),
        // Everything but E covers I when nothing of I is in E.
        (Actions::AllBut(e), Actions::Only(i)) => i
            .iter()
            .all(|ip| !e.iter().any(|ep| pattern::intersects(ep, ip, true))),
        (Actions::Only(o), Actions::AllBut(_)) => o.iter().any(|op| op == "*"),
        // All-but-E covers all-but-F when E is within F.
        (Actions::AllBut(e), Actions::AllBut(f)) => e
            .iter()
            .all(|ep| f.iter().any(|fp| pattern::covers(fp, ep, true))),
    }
}

/// Whether some action is named by both.
pub fn actions_intersect(a: &Actions, b: &Actions) -> bool {
    match (a, b) {
        (Actions::Only(x), Actions::Only(y)) => x
            .iter()
            .any(|p| y.iter().any(|q| pattern::intersects(p, q, true))),
        (Actions::AllBut(e), Actions::Only(i)) | (Actions::Only(i), Actions::AllBut(e)) => i
            .iter()
            .any(|ip| !e.iter().any(|ep| pattern::covers(ep, ip, true))),
        (Actions::AllBut(_), Actions::AllBut(_)) => true,
    }
}

/// Whether the actions name every action there is.
pub fn all_actions(a: &Actions) -> bool {
    match a {
        Actions::Only(o) => o.iter().any(|p| p == "*" || p == "*:*"),
        Actions::AllBut(e) => e.is_empty(),
    }
}

/// Whether the statement's resources name every resource (`None`: no resource element).
pub fn all_resources(r: Option<&Resources>) -> bool {
    match r {
        None => true,
        Some(Resources::Only(o)) => o.iter().any(|p| p == "*"),
        Some(Resources::AllBut(e)) => e.is_empty(),
    }
}

/// Whether `outer` certainly names every resource `inner` names, in `ctx`.
pub fn resources_cover(
    outer: Option<&Resources>,
    inner: Option<&Resources>,
    ctx: &Context,
) -> bool {
    let Some(outer) = outer else { return true };
    match (outer, inner) {
        (_, None) => all_resources(Some(outer)),
        (Resources::Only(o), Some(Resources::Only(i))) => {
            i.iter().all(|ip| match resolve_pattern(ip, ctx) {
                ResolvedPattern::Nothing => true,
                ResolvedPattern::Unknown => o.iter().any(|op| op == "*"),
                ResolvedPattern::Pattern(ip) => o.iter().any(|op| match resolve_pattern(op, ctx) {
                    ResolvedPattern::Pattern(op) => pattern::covers(&op, &ip, false),
                    _ => false,
                }),
            })
        }
        (Resources::AllBut(e), Some(Resources::Only(i))) => {
            i.iter().all(|ip| match resolve_pattern(ip, ctx) {
                ResolvedPattern::Nothing => true,
                ResolvedPattern::Unknown => e.is_empty(),
                ResolvedPattern::Pattern(ip) => e.iter().all(|ep| match resolve_pattern(ep, ctx) {
                    ResolvedPattern::Pattern(ep) => !pattern::intersects(&ep, &ip, false),
                    ResolvedPattern::Nothing => true,
                    ResolvedPattern::Unknown => false,
                }),
            })
        }
        (Resources::Only(o), Some(Resources::AllBut(_))) => o.iter().any(|p| p == "*"),
        (Resources::AllBut(e), Some(Resources::AllBut(f))) => e.is_empty() || e == f,
    }
}

/// Whether some resource may be named by both, in `ctx`.
pub fn resources_intersect(a: Option<&Resources>, b: Option<&Resources>, ctx: &Context) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return true;
    };
    let patterns = |r: &Resources| -> Vec<ResolvedPattern> {
        match r {
            Resources::Only(p) | Resources::AllBut(p) => {
                p.iter().map(|x| resolve_pattern(x, ctx)).collect()
            }
        }
    };
    let overlap = |x: &ResolvedPattern, y: &ResolvedPattern| match (x, y) {
        (ResolvedPattern::Nothing, _) | (_, ResolvedPattern::Nothing) => false,
        (ResolvedPattern::Pattern(p), ResolvedPattern::Pattern(q)) => {
            pattern::intersects(p, q, false)
        }
        _ => true,
    };
    match (a, b) {
        (Resources::Only(_), Resources::Only(_)) => {
            let (pa, pb) = (patterns(a), patterns(b));
            pa.iter().any(|x| pb.iter().any(|y| overlap(x, y)))
        }
        // A negated element leaves almost everything: assume an overlap unless the positive
        // side lies wholly inside the exclusions.
        (Resources::AllBut(_), Resources::Only(_)) | (Resources::Only(_), Resources::AllBut(_)) => {
            let (excluded, only) = if matches!(a, Resources::AllBut(_)) {
                (a, b)
            } else {
                (b, a)
            };
            let excluded = patterns(excluded);
            patterns(only).iter().any(|p| match p {
                ResolvedPattern::Nothing => false,
                ResolvedPattern::Unknown => true,
                ResolvedPattern::Pattern(p) => !excluded.iter().any(|e| match e {
                    ResolvedPattern::Pattern(e) => pattern::covers(e, p, false),
                    _ => false,
                }),
            })
        }
        (Resources::AllBut(_), Resources::AllBut(_)) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(p: &[&str]) -> Actions {
        Actions::Only(p.iter().map(|s| s.to_string()).collect())
    }
    fn res(p: &[&str]) -> Resources {
        Resources::Only(p.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn action_cover_and_overlap() {
        assert!(actions_cover(&only(&["*"]), &only(&["s3:GetObject"])));
        assert!(actions_cover(
            &only(&["iam:*"]),
            &only(&["IAM:Create*", "iam:PassRole"])
        ));
        assert!(!actions_cover(&only(&["iam:Create*"]), &only(&["iam:*"])));
        let not_iam = Actions::AllBut(vec!["iam:*".into()]);
        assert!(actions_cover(&not_iam, &only(&["s3:*"])));
        assert!(!actions_cover(&not_iam, &only(&["iam:PassRole"])));
        assert!(actions_intersect(&not_iam, &only(&["s3:*", "iam:*"])));
        assert!(!actions_intersect(&not_iam, &only(&["iam:PassRole"])));
        assert!(all_actions(&only(&["*:*"])));
        assert!(!all_actions(&not_iam));
    }

    #[test]
    fn resource_cover_with_variables() {
        let mut ctx = Context::new();
        ctx.set("aws:username", "bob");
        let own = res(&["arn:aws:iam::1:user/${aws:username}"]);
        assert!(resources_cover(
            Some(&res(&["arn:aws:iam::1:user/*"])),
            Some(&own),
            &ctx
        ));
        assert!(resources_intersect(
            Some(&own),
            Some(&res(&["arn:aws:iam::1:user/b*"])),
            &ctx
        ));
        assert!(!resources_intersect(
            Some(&own),
            Some(&res(&["arn:aws:iam::1:user/alice"])),
            &ctx
        ));
        let unknown = res(&["arn:aws:iam::1:user/${aws:PrincipalTag/x}"]);
        assert!(resources_intersect(
            Some(&unknown),
            Some(&res(&["arn:aws:iam::1:user/alice"])),
            &ctx
        ));
        assert!(!resources_cover(
            Some(&res(&["arn:aws:iam::1:user/alice"])),
            Some(&unknown),
            &ctx
        ));
    }
}
