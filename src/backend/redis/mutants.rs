//! Test builds only (cargo feature `mutants`): the backend's injected bugs are broken scripts (or
//! a missing release listener) a node is built with when `REDLOCK_RS_MUTANT` names one, so the
//! suites can prove they catch them while the operations stay free of test branches.

use super::scripts::NodeScripts;
use crate::mutants::{active, Mutant};
use redis::Script;
use std::sync::LazyLock;

/// `plain-del-release`: release and rollback delete the keys whatever they hold.
const PLAIN_DEL_LUA: &str = r#"return redis.call("DEL", unpack(KEYS))"#;

/// `extend-without-owner-check`: every key gets the value and the new TTL, whoever held it.
const BLIND_EXTEND_LUA: &str = r#"
for _, key in ipairs(KEYS) do
  redis.call("SET", key, ARGV[1], "PX", ARGV[2])
end
return 1
"#;

/// `no-release-announcement`: the release script without its `PUBLISH` (made from the real one,
/// so the two cannot drift apart).
const ANNOUNCEMENT: &str = r#"
    if announce and (not got or got[n + i]) then
      redis.pcall("PUBLISH", "redlock-rs:released:" .. key, tag)
    end"#;

fn quiet_release_lua() -> String {
    let quiet = super::scripts::RELEASE_LUA.replace(ANNOUNCEMENT, "");
    assert_ne!(
        quiet,
        super::scripts::RELEASE_LUA,
        "the release script's announcement moved"
    );
    quiet
}

/// `fence-without-write-back`: the one-round construction (single-master fenced locks): the
/// fenced acquire also increments each counter on its own node, and the engine skips the
/// write-back. Made from the real script, so the two cannot drift apart.
const READ_COUNTERS: &str = r#"for i = 1, n do
  redis.call("SET", KEYS[i], ARGV[1], "PX", ARGV[2])
end"#;

fn one_round_acquire_lua() -> String {
    let incr = r#"for i = 1, n do
  redis.call("SET", KEYS[i], ARGV[1], "PX", ARGV[2])
  redis.call("INCR", KEYS[n + i])
end"#;
    let s = super::scripts::FENCED_ACQUIRE_LUA.replace(READ_COUNTERS, incr);
    assert_ne!(
        s,
        super::scripts::FENCED_ACQUIRE_LUA,
        "the fenced acquire moved"
    );
    s
}

static ONE_ROUND_ACQUIRE: LazyLock<Script> =
    LazyLock::new(|| Script::new(&one_round_acquire_lua()));
static PLAIN_DEL: LazyLock<Script> = LazyLock::new(|| Script::new(PLAIN_DEL_LUA));
static QUIET_RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(&quiet_release_lua()));
static BLIND_EXTEND: LazyLock<Script> = LazyLock::new(|| Script::new(BLIND_EXTEND_LUA));

/// `scripts` with the chosen mutant's script swapped in (unchanged when none is chosen).
pub(super) fn apply(mut scripts: NodeScripts) -> NodeScripts {
    if active(Mutant::PlainDelRelease) {
        scripts.release = &PLAIN_DEL;
        scripts.release_lua = PLAIN_DEL_LUA;
    }
    if active(Mutant::ExtendWithoutOwnerCheck) {
        scripts.extend = &BLIND_EXTEND;
    }
    if active(Mutant::NoReleaseAnnouncement) {
        scripts.release = &QUIET_RELEASE;
    }
    if active(Mutant::FenceWithoutWriteBack) {
        scripts.acquire_fenced = &ONE_ROUND_ACQUIRE;
    }
    scripts
}

/// `no-release-listener`: the node never listens for release announcements (as a Cluster
/// member): its waiters only poll.
pub(super) fn pubsub(client: Option<redis::Client>) -> Option<redis::Client> {
    if active(Mutant::NoReleaseListener) {
        None
    } else {
        client
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quiet_release_is_the_release_without_its_publish() {
        let quiet = super::quiet_release_lua();
        assert!(!quiet.contains("PUBLISH"));
        assert!(
            quiet.contains("foreign = foreign + 1")
                && quiet.contains("redis.call(\"DEL\", unpack(ours")
        );
    }

    #[test]
    fn the_one_round_acquire_increments_the_counters() {
        assert!(super::one_round_acquire_lua().contains("INCR"));
    }
}
