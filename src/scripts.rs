//! Every Lua script redlock-rs runs, in one place. `redis::Script` computes each SHA-1 once and
//! sends EVALSHA, falling back to EVAL (which loads the script) on NOSCRIPT.
//!
//! Wire format = node-redlock's: one key per resource, the lock value as the string value, the
//! TTL via `PX`. So node-redlock processes and redlock-rs processes exclude each other.
//! `redis.pcall("GET")` turns a key of another type (WRONGTYPE) into "held by someone else"
//! instead of a script error, as node-redlock's `EXISTS` check does.

use redis::Script;
use std::sync::LazyLock;

/// KEYS = resources; ARGV[1] = value; ARGV[2] = TTL in ms.
/// Returns 1 when every key was absent and is now set; 0 when a key holds another value;
/// -1 when a key already holds this very value. Nothing is written unless it returns 1.
pub const ACQUIRE_LUA: &str = r#"
local own = false
for _, key in ipairs(KEYS) do
  local v = redis.pcall("GET", key)
  if v then
    if v ~= ARGV[1] then return 0 end
    own = true
  end
end
if own then return -1 end
for _, key in ipairs(KEYS) do
  redis.call("SET", key, ARGV[1], "PX", ARGV[2])
end
return 1
"#;

/// KEYS = resources; ARGV[1] = value; ARGV[2] = new TTL in ms.
/// Returns 1 and resets every TTL iff every key holds the value; else 0 and changes nothing.
pub const EXTEND_LUA: &str = r#"
for _, key in ipairs(KEYS) do
  if redis.pcall("GET", key) ~= ARGV[1] then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call("SET", key, ARGV[1], "PX", ARGV[2])
end
return 1
"#;

/// KEYS = resources; ARGV[1] = value. Deletes the keys that hold the value; returns how many.
pub const RELEASE_LUA: &str = r#"
local count = 0
for _, key in ipairs(KEYS) do
  if redis.pcall("GET", key) == ARGV[1] then
    redis.call("DEL", key)
    count = count + 1
  end
end
return count
"#;

pub static ACQUIRE: LazyLock<Script> = LazyLock::new(|| Script::new(ACQUIRE_LUA));
pub static EXTEND: LazyLock<Script> = LazyLock::new(|| Script::new(EXTEND_LUA));
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(RELEASE_LUA));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_have_distinct_sha1_ids() {
        let ids = [ACQUIRE.get_hash(), EXTEND.get_hash(), RELEASE.get_hash()];
        for id in ids {
            assert_eq!(id.len(), 40);
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        }
        assert_ne!(ids[0], ids[1]);
        assert_ne!(ids[1], ids[2]);
    }
}
