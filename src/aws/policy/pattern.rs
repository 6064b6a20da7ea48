//! IAM wildcard patterns: `*` matches any run of characters (including none, `/` and `:`),
//! `?` matches exactly one. Actions compare without case, ARNs with case.

/// A `*` that came from `${*}`: matches only the character `*` (private-use code point).
pub const LITERAL_STAR: char = '\u{E000}';
/// A `?` that came from `${?}`: matches only the character `?`.
pub const LITERAL_QUESTION: char = '\u{E001}';

/// Turns escaped literals back into the plain characters, for exact comparisons and display.
pub fn unescape(s: &str) -> String {
    if !s.contains([LITERAL_STAR, LITERAL_QUESTION]) {
        return s.to_string();
    }
    s.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?")
}

fn literal(c: char) -> char {
    match c {
        LITERAL_STAR => '*',
        LITERAL_QUESTION => '?',
        c => c,
    }
}

/// Whether `text` matches the wildcard `pattern`. Linear-time greedy matcher with
/// backtracking to the last `*`, O(|pattern| * |text|) in the worst case.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    // Policies and ARNs are ASCII nearly always: match bytes without allocating.
    if pattern.is_ascii() && text.is_ascii() {
        let (mut p, mut t) = (pattern.as_bytes(), text.as_bytes());
        // Compare the literal prefix in one go: most mismatches are found there.
        let literal = p
            .iter()
            .position(|&b| b == b'*' || b == b'?')
            .unwrap_or(p.len());
        if literal > t.len() {
            return false;
        }
        let same = if ignore_case {
            p[..literal].eq_ignore_ascii_case(&t[..literal])
        } else {
            p[..literal] == t[..literal]
        };
        if !same {
            return false;
        }
        if literal == p.len() {
            return literal == t.len();
        }
        (p, t) = (&p[literal..], &t[literal..]);
        return if ignore_case {
            glob(p, t, b'*', b'?', |a, b| a.eq_ignore_ascii_case(&b))
        } else {
            glob(p, t, b'*', b'?', |a, b| a == b)
        };
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob(&p, &t, '*', '?', |a, b| {
        let (a, b) = (literal(a), literal(b));
        if ignore_case {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    })
}

/// Greedy wildcard matching with backtracking to the last star.
fn glob<T: Copy + PartialEq>(
    p: &[T],
    t: &[T],
    star_unit: T,
    any_unit: T,
    eq: impl Fn(T, T) -> bool,
) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == any_unit || (p[pi] != star_unit && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == star_unit {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == star_unit)
}

/// Whether some string matches both patterns. Used to keep an edge whenever a deny or a
/// boundary *might* touch it. Dynamic programming over both patterns, O(|a| * |b|).
pub fn intersects(a: &str, b: &str, ignore_case: bool) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return intersects_ascii(a.as_bytes(), b.as_bytes(), ignore_case);
    }
    intersects_chars(a, b, ignore_case)
}

/// [`intersects`] on ASCII patterns (escaped literals are not ASCII, so none occur here).
/// Any common string starts with both literal prefixes and ends with both literal suffixes:
/// comparing those rejects most pairs (another service, another account) before the dynamic
/// programme, which then runs on what follows the shared prefix.
fn intersects_ascii(a: &[u8], b: &[u8], ignore_case: bool) -> bool {
    let same = |x: &[u8], y: &[u8]| {
        if ignore_case {
            x.eq_ignore_ascii_case(y)
        } else {
            x == y
        }
    };
    let wild = |c: &u8| *c == b'*' || *c == b'?';
    let (head_a, head_b) = (
        a.iter().position(wild).unwrap_or(a.len()),
        b.iter().position(wild).unwrap_or(b.len()),
    );
    let head = head_a.min(head_b);
    if !same(&a[..head], &b[..head]) {
        return false;
    }
    if head_a == a.len() && head_b == b.len() {
        return a.len() == b.len();
    }
    let (tail_a, tail_b) = (
        a.iter().rev().position(wild).unwrap_or(a.len()),
        b.iter().rev().position(wild).unwrap_or(b.len()),
    );
    let tail = tail_a.min(tail_b);
    if !same(&a[a.len() - tail..], &b[b.len() - tail..]) {
        return false;
    }
    let (a, b) = (&a[head..], &b[head..]);
    let eq = |x: u8, y: u8| {
        x == b'?'
            || y == b'?'
            || if ignore_case {
                x.eq_ignore_ascii_case(&y)
            } else {
                x == y
            }
    };
    // Two rows of the table of `intersects_chars`: `next` is row i + 1, `row` is row i.
    let mut next = vec![false; b.len() + 1];
    let mut row = vec![false; b.len() + 1];
    for i in (0..=a.len()).rev() {
        for j in (0..=b.len()).rev() {
            row[j] = if i == a.len() && j == b.len() {
                true
            } else if i < a.len() && a[i] == b'*' {
                next[j] || (j < b.len() && row[j + 1])
            } else if j < b.len() && b[j] == b'*' {
                row[j + 1] || (i < a.len() && next[j])
            } else if i < a.len() && j < b.len() {
                eq(a[i], b[j]) && next[j + 1]
            } else {
                false
            };
        }
        std::mem::swap(&mut next, &mut row);
    }
    next[0]
}

fn intersects_chars(a: &str, b: &str, ignore_case: bool) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // `?` is a wildcard on either side; escaped literals compare as their plain characters.
    let eq = |x: char, y: char| {
        if x == '?' || y == '?' {
            return true;
        }
        let (x, y) = (literal(x), literal(y));
        if ignore_case {
            x.to_lowercase().eq(y.to_lowercase())
        } else {
            x == y
        }
    };
    // can[i][j]: suffixes a[i..] and b[j..] share a string.
    let mut can = vec![vec![false; b.len() + 1]; a.len() + 1];
    for i in (0..=a.len()).rev() {
        for j in (0..=b.len()).rev() {
            can[i][j] = if i == a.len() && j == b.len() {
                true
            } else if i < a.len() && a[i] == '*' {
                // `*` matches nothing, or eats whatever b offers at j (a character, or b's own `*`
                // matching nothing).
                can[i + 1][j] || (j < b.len() && can[i][j + 1])
            } else if j < b.len() && b[j] == '*' {
                can[i][j + 1] || (i < a.len() && can[i + 1][j])
            } else if i < a.len() && j < b.len() {
                eq(a[i], b[j]) && can[i + 1][j + 1]
            } else {
                false
            };
        }
    }
    can[0][0]
}

/// Whether every string matching `inner` also matches `outer`. Decided exactly when `inner`
/// has no wildcard or `outer` is a literal prefix followed by one `*`; otherwise answers
/// `false` ("not known to cover"), which callers treat as the weaker, safe answer.
pub fn covers(outer: &str, inner: &str, ignore_case: bool) -> bool {
    if outer == "*" {
        return true;
    }
    if !has_wildcard(inner) {
        return matches(outer, inner, ignore_case);
    }
    if let Some(prefix) = outer.strip_suffix('*') {
        if !has_wildcard(prefix) {
            let inner_literal: String = inner
                .chars()
                .take_while(|c| !matches!(c, '*' | '?'))
                .collect();
            return inner_literal.chars().count() >= prefix.chars().count()
                && matches(
                    prefix,
                    &inner_literal
                        .chars()
                        .take(prefix.chars().count())
                        .collect::<String>(),
                    ignore_case,
                );
        }
    }
    outer == inner || (ignore_case && outer.eq_ignore_ascii_case(inner))
}

pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn star_and_question_mark() {
        assert!(matches("s3:Get*", "s3:GetObject", false));
        assert!(matches("*", "", false));
        assert!(matches("iam:*AccessKey*", "iam:CreateAccessKey", false));
        assert!(matches(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/a/b",
            false
        ));
        assert!(matches("s3:?etObject", "s3:GetObject", false));
        assert!(!matches("s3:?etObject", "s3:etObject", false));
        assert!(!matches("s3:Get*", "s3:PutObject", false));
    }

    #[test]
    fn case_rules() {
        assert!(matches("STS:assumerole", "sts:AssumeRole", true));
        assert!(!matches(
            "arn:aws:iam::1:role/Admin",
            "arn:aws:iam::1:role/admin",
            false
        ));
    }

    #[test]
    fn intersection_of_patterns() {
        assert!(intersects("iam:*", "*:CreateAccessKey", true));
        assert!(intersects(
            "arn:aws:iam::1:role/prod-*",
            "arn:aws:iam::1:role/*",
            false
        ));
        assert!(!intersects("s3:*", "iam:*", true));
        assert!(intersects("a?c", "*b*", false));
        assert!(intersects("a?c", "*d*", false), "`?` may stand for `d`");
        assert!(!intersects("abc", "*d*", false));
    }

    #[test]
    fn coverage_is_exact_or_conservative() {
        assert!(covers("*", "anything*", false));
        assert!(covers("iam:*", "iam:Create*", true));
        assert!(!covers("iam:Create*", "iam:*", true));
        assert!(covers(
            "arn:aws:iam::1:role/*",
            "arn:aws:iam::1:role/x",
            false
        ));
        assert!(!covers(
            "arn:aws:iam::1:role/a*",
            "arn:aws:iam::1:role/*",
            false
        ));
    }

    /// Reference matcher: plain recursion over the definition.
    fn naive(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => naive(&p[1..], t) || (!t.is_empty() && naive(p, &t[1..])),
            (Some('?'), Some(_)) => naive(&p[1..], &t[1..]),
            (Some(a), Some(b)) => a == b && naive(&p[1..], &t[1..]),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn matcher_agrees_with_reference(p in "[ab*?:/]{0,8}", t in "[ab:/]{0,8}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            prop_assert_eq!(matches(&p, &t, false), naive(&pc, &tc));
        }

        #[test]
        fn intersection_agrees_with_enumeration(a in "[ab*?]{0,5}", b in "[ab*?]{0,5}") {
            // Any common string can be shortened to one of length <= |a| + |b| over {a, b}.
            let mut found = false;
            'outer: for len in 0..=(a.len() + b.len()) {
                for bits in 0..(1u32 << len) {
                    let s: String = (0..len).map(|i| if bits >> i & 1 == 1 { 'a' } else { 'b' }).collect();
                    if matches(&a, &s, false) && matches(&b, &s, false) {
                        found = true;
                        break 'outer;
                    }
                }
            }
            prop_assert_eq!(intersects(&a, &b, false), found);
        }

        #[test]
        fn byte_intersection_agrees_with_char_intersection(
            a in "[aAb:*?]{0,7}",
            b in "[aAb:*?]{0,7}",
            ignore_case in any::<bool>(),
        ) {
            prop_assert_eq!(
                intersects_ascii(a.as_bytes(), b.as_bytes(), ignore_case),
                intersects_chars(&a, &b, ignore_case)
            );
        }

        #[test]
        fn covers_is_never_wrong_when_it_says_yes(o in "[ab*?]{0,5}", i in "[ab*?]{0,5}", t in "[ab]{0,6}") {
            if covers(&o, &i, false) && matches(&i, &t, false) {
                prop_assert!(matches(&o, &t, false));
            }
        }
    }
}
