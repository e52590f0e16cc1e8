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

/// KEYS = resources; ARGV[1] = value; ARGV[2] (optional) = release tag
/// (`signals::release_tag`). Deletes the keys that hold the value (one `DEL` for all of them);
/// returns `{deleted, foreign}`:
/// how many it deleted, and how many hold another value (a lock lost to another owner, which a
/// release must not report as released; a key of another type counts too).
///
/// With a non-empty tag (a release), each deletion is announced on `redlock-rs:released:<key>`
/// with the tag as the message — but only where a waiter left its marker (`<key>` +
/// [`WAITING_SUFFIX`], set with a PX by `RedisNode::mark_waiting`): nobody waits on most
/// releases, and a `PUBLISH` is a command of its own. The markers are read with the values in
/// one `MGET`; where `MGET` is refused (an ACL user without it, a key of another slot on a
/// Cluster) the script falls back to `GET` and announces every deletion, as before. The
/// announcement lets waiters retry at once instead of polling, and a process hearing the same
/// release from N nodes acts on it once (`pcall`: a user without Pub/Sub permission still
/// releases). An empty tag (a hand-over to a local waiter, a node nobody listens on) releases
/// without announcing. Without a tag (the rollback of a failed attempt) nobody is told
/// either, and a key of another type is reported as the WRONGTYPE error node-redlock's unlock
/// gets there (its 'clientError'), once the keys that held the value are deleted.
pub const RELEASE_LUA: &str = r#"
local unpack = table.unpack or unpack
local deleted, foreign, wrongtype, ours, seen = 0, 0, false, {}, {}
local n, tag = #KEYS, ARGV[2]
local announce = tag and tag ~= ""
local got = false
if announce and n <= 1000 then
  local names = {}
  for i, key in ipairs(KEYS) do
    names[i] = key
    names[n + i] = key .. "\0redlock-rs:waiting"
  end
  got = redis.pcall("MGET", unpack(names))
  if got.err then got = false end
end
for i, key in ipairs(KEYS) do
  local v = got and got[i]
  if not v then v = redis.pcall("GET", key) end
  -- A key listed twice is gone by its second mention, as if deleted one by one.
  if seen[key] then v = false end
  seen[key] = true
  if v == ARGV[1] then
    ours[#ours + 1] = key
    if announce and (not got or got[n + i]) then
      redis.pcall("PUBLISH", "redlock-rs:released:" .. key, tag)
    end
    deleted = deleted + 1
  elseif v then
    foreign = foreign + 1
    if type(v) == "table" then wrongtype = true end
  end
end
for i = 1, #ours, 1000 do
  redis.call("DEL", unpack(ours, i, math.min(i + 999, #ours)))
end
if wrongtype and not tag then
  return redis.error_reply("WRONGTYPE Operation against a key holding the wrong kind of value")
end
return {deleted, foreign}
"#;

/// What a waiter appends to a (prefixed) key for its waiting marker, which tells
/// [`RELEASE_LUA`] to announce the key's release. After the key, so the marker falls under
/// the same ACL key patterns; a NUL byte, so no resource name a person chose can collide with
/// it (a marker must never overwrite a lock).
pub const WAITING_SUFFIX: &str = "\0redlock-rs:waiting";

/// A release script's reply: `{deleted, foreign}` from [`RELEASE_LUA`], or the number of keys
/// deleted from a caller's script (node-redlock's convention, which cannot tell a lost lock).
pub fn release_reply(v: &redis::Value) -> crate::backend::ReleaseReply {
    use redis::Value;
    let n = |v: &Value| match v {
        Value::Int(n) => (*n).max(0) as u64,
        _ => 0,
    };
    match v {
        Value::Array(items) => crate::backend::ReleaseReply {
            deleted: items.first().map_or(0, n),
            foreign: items.get(1).map_or(0, n),
        },
        v => crate::backend::ReleaseReply {
            deleted: n(v),
            foreign: 0,
        },
    }
}

/// The Pub/Sub pattern that matches every release announcement.
pub const RELEASED_PATTERN: &str = "redlock-rs:released:*";
pub const RELEASED_PREFIX: &str = "redlock-rs:released:";

/// node-redlock v5's own scripts, verbatim: the text a caller's `scripts.*Script(default)`
/// function receives. Custom scripts follow node-redlock's reply convention: acquire and extend
/// return the number of keys written (all of them = yes), release the number deleted.
pub const NODE_REDLOCK_ACQUIRE_LUA: &str = r#"
  -- Return 0 if an entry already exists.
  for i, key in ipairs(KEYS) do
    if redis.call("exists", key) == 1 then
      return 0
    end
  end

  -- Create an entry for each provided key.
  for i, key in ipairs(KEYS) do
    redis.call("set", key, ARGV[1], "PX", ARGV[2])
  end

  -- Return the number of entries added.
  return #KEYS
"#;

pub const NODE_REDLOCK_EXTEND_LUA: &str = r#"
  -- Return 0 if an entry exists with a *different* lock value.
  for i, key in ipairs(KEYS) do
    if redis.call("get", key) ~= ARGV[1] then
      return 0
    end
  end

  -- Update the entry for each provided key.
  for i, key in ipairs(KEYS) do
    redis.call("set", key, ARGV[1], "PX", ARGV[2])
  end

  -- Return the number of entries updated.
  return #KEYS
"#;

pub const NODE_REDLOCK_RELEASE_LUA: &str = r#"
  local count = 0
  for i, key in ipairs(KEYS) do
    -- Only remove entries for *this* lock value.
    if redis.call("get", key) == ARGV[1] then
      redis.pcall("del", key)
      count = count + 1
    end
  end

  -- Return the number of entries removed.
  return count
"#;

/// Caller-supplied scripts (node-redlock's third constructor argument). Trusted configuration:
/// they run as given on every node.
#[derive(Default)]
pub struct CustomScripts {
    pub acquire: Option<Script>,
    pub extend: Option<Script>,
    pub release: Option<Script>,
}

impl CustomScripts {
    pub fn is_empty(&self) -> bool {
        self.acquire.is_none() && self.extend.is_none() && self.release.is_none()
    }
}

pub static ACQUIRE: LazyLock<Script> = LazyLock::new(|| Script::new(ACQUIRE_LUA));
pub static EXTEND: LazyLock<Script> = LazyLock::new(|| Script::new(EXTEND_LUA));
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(RELEASE_LUA));

/// A built-in script as a caller's client object sends it (`crate::backend::caller`): EVALSHA
/// `sha`, then EVAL `lua` when the server answers NOSCRIPT. The very scripts native nodes run.
#[derive(Clone, Copy, Debug)]
pub struct Source {
    pub lua: &'static str,
    pub sha: &'static str,
}

/// The built-in acquire, extend and release scripts as [`Source`]s.
#[derive(Clone, Copy, Debug)]
pub struct Sources {
    pub acquire: Source,
    pub extend: Source,
    pub release: Source,
    pub acquire_fenced: Source,
    pub write_back: Source,
}

impl Sources {
    pub fn builtin() -> Self {
        let source = |lua, script: &'static LazyLock<Script>| Source {
            lua,
            sha: LazyLock::force(script).get_hash(),
        };
        Sources {
            acquire: source(ACQUIRE_LUA, &ACQUIRE),
            extend: source(EXTEND_LUA, &EXTEND),
            release: source(RELEASE_LUA, &RELEASE),
            acquire_fenced: source(FENCED_ACQUIRE_LUA, &FENCED_ACQUIRE),
            write_back: source(WRITE_BACK_LUA, &WRITE_BACK),
        }
    }
}

/// The scripts one node runs for its lock operations, chosen when the node is built: the
/// built-in ones (a test build with the `mutants` feature may swap in broken ones, see
/// `super::mutants`), so no operation looks at anything but these.
#[derive(Clone, Copy)]
pub(super) struct NodeScripts {
    pub acquire: &'static Script,
    pub extend: &'static Script,
    /// Release (EVALSHA, with the tag) and rollback (a self-contained EVAL of `release_lua`,
    /// without the tag).
    pub release: &'static Script,
    pub release_lua: &'static str,
    pub acquire_fenced: &'static Script,
    pub write_back: &'static Script,
}

impl NodeScripts {
    pub(super) fn builtin() -> Self {
        NodeScripts {
            acquire: &ACQUIRE,
            extend: &EXTEND,
            release: &RELEASE,
            release_lua: RELEASE_LUA,
            acquire_fenced: &FENCED_ACQUIRE,
            write_back: &WRITE_BACK,
        }
    }
}

/// A fenced acquire's first round (`docs/fencing.md`). KEYS = the lock keys, then their counter
/// keys in the same order (`algo::fence::counter_key`); ARGV[1] = value; ARGV[2] = TTL in ms.
/// Decides and writes exactly as [`ACQUIRE_LUA`]; returns `{1, max}` when it set every key
/// (`max`: the largest counter of the resources, 0 where none exists), `{0, 0}` when a key
/// holds another value, `{-1, 0}` when a key already holds this very value. Counters are plain
/// strings without expiry; a counter that is not a number is a script error (never a grant).
pub const FENCED_ACQUIRE_LUA: &str = r#"
local n = #KEYS / 2
local own = false
for i = 1, n do
  local v = redis.pcall("GET", KEYS[i])
  if v then
    if v ~= ARGV[1] then return {0, 0} end
    own = true
  end
end
if own then return {-1, 0} end
local max = 0
for i = 1, n do
  local c = tonumber(redis.call("GET", KEYS[n + i]) or "0")
  if c == nil then return redis.error_reply("ERR redlock-rs: a fencing counter is not a number") end
  if c > max then max = c end
end
for i = 1, n do
  redis.call("SET", KEYS[i], ARGV[1], "PX", ARGV[2])
end
return {1, max}
"#;

/// A fenced acquire's second round, the write-back. KEYS as [`FENCED_ACQUIRE_LUA`]'s;
/// ARGV[1] = value; ARGV[2] = the token. Only where every lock key still holds the value, raises
/// each counter to the token (`counter = max(counter, token)`, never lower) and returns 1; else
/// 0 and changes nothing. Lua numbers are doubles: tokens stay exact below 2^53.
pub const WRITE_BACK_LUA: &str = r#"
local n = #KEYS / 2
for i = 1, n do
  if redis.pcall("GET", KEYS[i]) ~= ARGV[1] then return 0 end
end
local t = tonumber(ARGV[2])
for i = 1, n do
  local c = tonumber(redis.call("GET", KEYS[n + i]) or "0")
  if c == nil then return redis.error_reply("ERR redlock-rs: a fencing counter is not a number") end
  if c < t then redis.call("SET", KEYS[n + i], ARGV[2]) end
end
return 1
"#;

pub static FENCED_ACQUIRE: LazyLock<Script> = LazyLock::new(|| Script::new(FENCED_ACQUIRE_LUA));
pub static WRITE_BACK: LazyLock<Script> = LazyLock::new(|| Script::new(WRITE_BACK_LUA));

/// The lock keys followed by their fencing counter keys, as the fencing scripts take them.
pub fn fenced_keys(keys: &[String]) -> Vec<String> {
    let counters = keys.iter().map(|k| crate::algo::fence::counter_key(k));
    keys.iter().cloned().chain(counters).collect()
}

/// A fenced acquire's reply (`{code, max}`); `None` for anything else.
pub fn fenced_reply(v: &redis::Value) -> Option<crate::backend::Fenced> {
    use crate::backend::{Fenced, Vote};
    use redis::Value;
    let Value::Array(items) = v else { return None };
    let [Value::Int(code), Value::Int(max)] = items.as_slice() else {
        return None;
    };
    let vote = match code {
        1 => Vote::Yes,
        0 => Vote::No,
        -1 => Vote::Own,
        _ => return None,
    };
    let counter = u64::try_from(*max).ok()?;
    Some(Fenced { vote, counter })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_the_scripts_native_nodes_run() {
        let s = Sources::builtin();
        assert_eq!(
            (s.acquire.lua, s.acquire.sha),
            (ACQUIRE_LUA, ACQUIRE.get_hash())
        );
        assert_eq!(
            (s.extend.lua, s.extend.sha),
            (EXTEND_LUA, EXTEND.get_hash())
        );
        assert_eq!(
            (s.release.lua, s.release.sha),
            (RELEASE_LUA, RELEASE.get_hash())
        );
    }

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
