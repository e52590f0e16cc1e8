//! Fencing counters: the name of the key that keeps a resource's counter on a node, in the lock
//! key's Redis Cluster hash slot (so one script can read and write both on a Cluster).

/// What a counter key ends with (after the lock key, or after the lock key wrapped in `{…}`).
pub const COUNTER_SUFFIX: &str = ":redlock-fence";

/// Whether `key` has a hash tag: a `{` followed later by a `}` with at least one byte between
/// (Redis hashes only the first such tag).
fn has_tag(key: &str) -> bool {
    let b = key.as_bytes();
    match b.iter().position(|&c| c == b'{') {
        Some(open) => b[open + 1..]
            .iter()
            .position(|&c| c == b'}')
            .is_some_and(|len| len > 0),
        None => false,
    }
}

/// The counter key of lock key `key`. A key with a hash tag keeps it (the suffix adds no
/// brace, so the first tag stays the first); a key without any `}` is wrapped in `{…}`, whose
/// tag is then the whole key, hashed exactly as the key is. Only a key with a `}` but no tag
/// (`a}b`, `a{}b`), or the empty key, has no name provably in its slot: [`slot_safe`] says so, and a Cluster
/// refuses to fence it.
pub fn counter_key(key: &str) -> String {
    if has_tag(key) {
        format!("{key}{COUNTER_SUFFIX}")
    } else {
        format!("{{{key}}}{COUNTER_SUFFIX}")
    }
}

/// Whether [`counter_key`] of `key` is in `key`'s Cluster hash slot.
pub fn slot_safe(key: &str) -> bool {
    has_tag(key) || (!key.is_empty() && !key.contains('}'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::slot::slot;

    #[test]
    fn counter_keys_land_in_the_lock_keys_slot() {
        for key in [
            "a",
            "order:42",
            "{user1}.lock",
            "x{y}z{w}",
            "a{b",
            "{",
            "{{b}}c",
            "é{ü}",
        ] {
            assert!(slot_safe(key), "{key}");
            assert_eq!(slot(&counter_key(key)), slot(key), "{key}");
        }
        assert_eq!(counter_key("a"), "{a}:redlock-fence");
        assert_eq!(counter_key("{u}a"), "{u}a:redlock-fence");
    }

    #[test]
    fn keys_with_a_brace_but_no_tag_are_not_slot_safe() {
        for key in ["a}b", "a{}b", "}{", "a}b{c", ""] {
            assert!(!slot_safe(key), "{key}");
        }
        // Why: wrapping `a}b` makes the tag `a`, another slot.
        assert_ne!(slot(&counter_key("a}b")), slot("a}b"));
    }
}
