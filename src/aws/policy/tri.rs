//! Three-valued logic: what the snapshot decides, and what it leaves open.

/// True, false, or not decidable from what the analyzer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tri {
    False,
    Unknown,
    True,
}

impl Tri {
    pub fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }

    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// Whether the value may be true: kept edges are those that may hold.
    pub fn possible(self) -> bool {
        self != Tri::False
    }

    pub fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::False, Tri::or)
    }

    pub fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::True, Tri::and)
    }
}

#[cfg(test)]
mod tests {
    use super::Tri::{self, *};

    #[test]
    fn kleene_tables() {
        let all = [False, Unknown, True];
        for a in all {
            for b in all {
                assert_eq!(
                    a.and(b).not(),
                    a.not().or(b.not()),
                    "de Morgan on {a:?}, {b:?}"
                );
                assert_eq!(a.and(b), b.and(a));
            }
        }
        assert_eq!(Tri::any([]), False);
        assert_eq!(Tri::all([]), True);
        assert_eq!(Tri::any([False, Unknown]), Unknown);
        assert_eq!(Tri::all([True, Unknown]), Unknown);
    }
}
