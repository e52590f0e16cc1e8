//! Nodes reached through the caller's own client object (ioredis, node-redis, a mock of
//! either): redlock-rs opens no connection; each lock operation runs the same Lua scripts as
//! a native node (`redis::scripts`), sent by the client. The engine still enforces the
//! per-node timeout, rollback, validity and ordering: this backend only turns an operation into
//! script calls and a reply into a vote, and refuses any reply it does not expect.
//!
//! The client itself sits behind [`CallerClient`] ("run this command, give me the reply"), so
//! this file knows nothing of N-API; `crate::js::caller` implements it over a JS function.

use super::redis::scripts::{Source, Sources};
use super::{Backend, BoxFuture, Fenced, NodeError, ReleaseReply, Vote};
use std::sync::{Arc, Mutex};

/// A reply as the client gave it, reduced to what a lock operation can use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Nil,
    Int(i64),
    Text(String),
    List(Vec<Reply>),
    /// The client reported an error (a server error, a closed connection, a thrown exception):
    /// its own message.
    Error(String),
    /// Anything else (a fraction, a boolean, an object, a nested list too deep): named only by
    /// its kind, so no value of the caller's leaks into messages.
    Other(&'static str),
}

/// One command for the client to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `EVALSHA sha numkeys keys… args…`
    EvalSha {
        sha: Arc<str>,
        keys: Arc<[String]>,
        args: Vec<String>,
    },
    /// `EVAL lua numkeys keys… args…`
    Eval {
        lua: Arc<str>,
        keys: Arc<[String]>,
        args: Vec<String>,
    },
    /// `PTTL key`
    Pttl { key: String },
}

/// The caller's client: sends one command and resolves with its reply. A failure of any kind
/// is `Reply::Error`; a client that never answers is the engine's per-node timeout to handle
/// (it drops the future).
pub trait CallerClient: Send + Sync + 'static {
    fn call(&self, command: Command) -> BoxFuture<Reply>;
}

/// A script as sent by the client: EVALSHA `sha`, EVAL `lua` on NOSCRIPT.
#[derive(Clone, Debug)]
pub struct Script {
    pub lua: Arc<str>,
    pub sha: Arc<str>,
}

impl Script {
    /// A caller-supplied script (node-redlock's third constructor argument).
    pub fn custom(lua: &str) -> Self {
        Script {
            lua: lua.into(),
            sha: redis::Script::new(lua).get_hash().into(),
        }
    }
}

impl From<Source> for Script {
    fn from(s: Source) -> Self {
        Script {
            lua: s.lua.into(),
            sha: s.sha.into(),
        }
    }
}

/// The scripts of one caller node: the built-in ones, or the caller's where given (then with
/// node-redlock's reply convention: the number of keys written or deleted).
#[derive(Clone, Debug)]
pub struct CallerScripts {
    acquire: Script,
    extend: Script,
    release: Script,
    acquire_fenced: Script,
    write_back: Script,
    custom: [bool; 3],
}

impl Default for CallerScripts {
    fn default() -> Self {
        let s = Sources::builtin();
        CallerScripts {
            acquire: s.acquire.into(),
            extend: s.extend.into(),
            release: s.release.into(),
            acquire_fenced: s.acquire_fenced.into(),
            write_back: s.write_back.into(),
            custom: [false; 3],
        }
    }
}

impl CallerScripts {
    /// The built-in scripts, replaced by the caller's where given (acquire, extend, release).
    pub fn with_custom(custom: &[Option<String>; 3]) -> Self {
        let mut s = CallerScripts::default();
        for (i, lua) in custom.iter().enumerate() {
            let Some(lua) = lua else { continue };
            let slot = match i {
                0 => &mut s.acquire,
                1 => &mut s.extend,
                _ => &mut s.release,
            };
            *slot = Script::custom(lua);
            s.custom[i] = true;
        }
        s
    }
}

/// One node whose commands run on the caller's client object.
pub struct CallerNode {
    /// `None` once closed with `quit()`: the JS function (and with it the caller's client) is
    /// let go; calls already running keep their own reference. Shared with the same client's
    /// node under other scripts (`with_scripts`), so one `quit()` closes both.
    client: Arc<Mutex<Option<Arc<dyn CallerClient>>>>,
    label: String,
    scripts: CallerScripts,
}

impl CallerNode {
    pub fn new(client: Arc<dyn CallerClient>, label: String, scripts: CallerScripts) -> Arc<Self> {
        Arc::new(CallerNode {
            client: Arc::new(Mutex::new(Some(client))),
            label,
            scripts,
        })
    }

    /// The same client with other scripts (a Redlock's custom ones).
    pub fn with_scripts(&self, scripts: CallerScripts) -> Arc<Self> {
        Arc::new(CallerNode {
            client: self.client.clone(),
            label: self.label.clone(),
            scripts,
        })
    }

    fn client(&self) -> Option<Arc<dyn CallerClient>> {
        self.client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Lets the client go; later operations fail with a clear error. The caller's client is
    /// not closed here (the JS facade decides that, as node-redlock does).
    pub fn quit(&self) {
        self.client.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Runs `script` (EVALSHA, EVAL on NOSCRIPT) and gives its reply to `read`.
    fn script<T: Send + 'static>(
        &self,
        script: &Script,
        keys: Arc<[String]>,
        args: Vec<String>,
        read: fn(&Reply, usize) -> Option<T>,
        what: &'static str,
    ) -> BoxFuture<Result<T, NodeError>> {
        let client = self.client();
        let script = script.clone();
        Box::pin(async move {
            let client = client.ok_or_else(closed)?;
            let n = keys.len();
            let sha = Command::EvalSha {
                sha: script.sha.clone(),
                keys: keys.clone(),
                args: args.clone(),
            };
            let mut reply = client.call(sha).await;
            if matches!(&reply, Reply::Error(m) if m.starts_with("NOSCRIPT")) {
                let lua = script.lua.clone();
                reply = client.call(Command::Eval { lua, keys, args }).await;
            }
            checked(reply, n, read, what)
        })
    }

    /// Runs the release script without a tag (nobody is told) as a self-contained EVAL: a
    /// rollback often goes to a slow node and may outlive its timeout (as native nodes do).
    fn eval(
        &self,
        script: &Script,
        keys: Arc<[String]>,
        args: Vec<String>,
        read: fn(&Reply, usize) -> Option<ReleaseReply>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        let client = self.client();
        let lua = script.lua.clone();
        Box::pin(async move {
            let client = client.ok_or_else(closed)?;
            let n = keys.len();
            let reply = client.call(Command::Eval { lua, keys, args }).await;
            checked(reply, n, read, "release script")
        })
    }
}

fn closed() -> NodeError {
    NodeError("the client was closed with quit()".into())
}

/// The client's error as its own message; a reply `read` does not accept as a node error that
/// names only the reply's kind.
fn checked<T>(
    reply: Reply,
    keys: usize,
    read: fn(&Reply, usize) -> Option<T>,
    what: &str,
) -> Result<T, NodeError> {
    if let Reply::Error(m) = &reply {
        return Err(NodeError(m.clone()));
    }
    read(&reply, keys).ok_or_else(|| {
        NodeError(format!(
            "unexpected reply to the {what} from the client: {}",
            kind(&reply)
        ))
    })
}

/// What a reply is, without its content (it may hold a lock value).
fn kind(r: &Reply) -> String {
    match r {
        Reply::Nil => "null".into(),
        Reply::Int(n) => format!("the integer {n}"),
        Reply::Text(_) => "a string".into(),
        Reply::List(l) => format!("an array of {}", l.len()),
        Reply::Error(_) => "an error".into(),
        Reply::Other(k) => (*k).into(),
    }
}

/// The built-in acquire script: 1 yes, -1 own, 0 no.
fn acquire_vote(r: &Reply, _: usize) -> Option<Vote> {
    match r {
        Reply::Int(1) => Some(Vote::Yes),
        Reply::Int(-1) => Some(Vote::Own),
        Reply::Int(0) => Some(Vote::No),
        _ => None,
    }
}

/// The built-in extend script: 1 extended, 0 not held.
fn extended(r: &Reply, _: usize) -> Option<bool> {
    match r {
        Reply::Int(1) => Some(true),
        Reply::Int(0) => Some(false),
        _ => None,
    }
}

/// The built-in release script: `{deleted, foreign}`, together at most one per key.
fn release_counts(r: &Reply, keys: usize) -> Option<ReleaseReply> {
    let Reply::List(items) = r else { return None };
    let [Reply::Int(d), Reply::Int(f)] = items.as_slice() else {
        return None;
    };
    let (d, f) = (u64::try_from(*d).ok()?, u64::try_from(*f).ok()?);
    (d.checked_add(f)? <= keys as u64).then_some(ReleaseReply {
        deleted: d,
        foreign: f,
    })
}

/// A caller's script (node-redlock's convention): how many keys it wrote or deleted, 0 to
/// the number of keys.
fn key_count(r: &Reply, keys: usize) -> Option<u64> {
    match r {
        Reply::Int(n) if (0..=keys as i64).contains(n) => Some(*n as u64),
        _ => None,
    }
}

/// The fenced acquire script: `{1, max}`, `{0, 0}` or `{-1, 0}` (`max` a counter, so ≥ 0).
fn fenced_vote(r: &Reply, _: usize) -> Option<Fenced> {
    let Reply::List(items) = r else { return None };
    let [Reply::Int(code), Reply::Int(max)] = items.as_slice() else {
        return None;
    };
    let vote = match (code, max) {
        (1, _) => Vote::Yes,
        (0, 0) => Vote::No,
        (-1, 0) => Vote::Own,
        _ => return None,
    };
    let counter = u64::try_from(*max).ok()?;
    Some(Fenced { vote, counter })
}

/// The fencing counter keys follow the lock keys (`scripts::fenced_keys`).
fn fenced_keys(keys: &[String]) -> Arc<[String]> {
    super::redis::scripts::fenced_keys(keys).into()
}

fn remaining_ms(r: &Reply, _: usize) -> Option<Option<u64>> {
    match r {
        Reply::Int(-2) => Some(None),
        Reply::Int(-1) => Some(Some(u64::MAX)),
        Reply::Int(ms) if *ms >= 0 => Some(Some(*ms as u64)),
        _ => None,
    }
}

impl Backend for CallerNode {
    fn acquire(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
        _fresh: bool,
    ) -> BoxFuture<Result<Vote, NodeError>> {
        let args = vec![value.to_string(), ttl_ms.to_string()];
        if !self.scripts.custom[0] {
            let s = &self.scripts.acquire;
            return self.script(s, resources, args, acquire_vote, "acquire script");
        }
        let n = resources.len() as u64;
        let f = self.script(
            &self.scripts.acquire,
            resources,
            args,
            key_count,
            "acquire script",
        );
        Box::pin(async move { Ok(if f.await? == n { Vote::Yes } else { Vote::No }) })
    }

    fn acquire_fenced(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<Fenced, NodeError>> {
        if self.scripts.custom.iter().any(|c| *c) {
            // Refused up front by the napi layer; never bypass the caller's scripts.
            return Box::pin(async {
                Err(NodeError("this node cannot fence (custom scripts)".into()))
            });
        }
        let args = vec![value.to_string(), ttl_ms.to_string()];
        let keys = fenced_keys(&resources);
        let s = &self.scripts.acquire_fenced;
        self.script(s, keys, args, fenced_vote, "fenced acquire script")
    }

    fn write_back(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        token: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        if self.scripts.custom.iter().any(|c| *c) {
            return Box::pin(async {
                Err(NodeError("this node cannot fence (custom scripts)".into()))
            });
        }
        let args = vec![value.to_string(), token.to_string()];
        let keys = fenced_keys(&resources);
        let s = &self.scripts.write_back;
        self.script(s, keys, args, extended, "write-back script")
    }

    fn extend(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        let args = vec![value.to_string(), ttl_ms.to_string()];
        if !self.scripts.custom[1] {
            let s = &self.scripts.extend;
            return self.script(s, resources, args, extended, "extend script");
        }
        let n = resources.len() as u64;
        let f = self.script(
            &self.scripts.extend,
            resources,
            args,
            key_count,
            "extend script",
        );
        Box::pin(async move { Ok(f.await? == n) })
    }

    fn release(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        if !self.scripts.custom[2] {
            // With the release tag, as native nodes send it: processes that listen on this
            // server (native connections) are woken by the announcement.
            let args = vec![value.to_string(), crate::signals::release_tag(&value)];
            let s = &self.scripts.release;
            return self.script(s, resources, args, release_counts, "release script");
        }
        let args = vec![value.to_string()];
        let f = self.script(
            &self.scripts.release,
            resources,
            args,
            key_count,
            "release script",
        );
        // node-redlock's convention: the number deleted (a lost lock cannot be told).
        Box::pin(async move {
            Ok(ReleaseReply {
                deleted: f.await?,
                foreign: 0,
            })
        })
    }

    fn rollback(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        if self.scripts.custom[2] {
            return self.release(resources, value);
        }
        let args = vec![value.to_string()];
        self.eval(&self.scripts.release, resources, args, release_counts)
    }

    fn pttl(&self, resource: String) -> BoxFuture<Result<Option<u64>, NodeError>> {
        let client = self.client();
        Box::pin(async move {
            let client = client.ok_or_else(closed)?;
            let reply = client.call(Command::Pttl { key: resource }).await;
            checked(reply, 1, remaining_ms, "PTTL command")
        })
    }

    fn label(&self) -> String {
        self.label.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// A client that answers from a script of replies and records what it was sent.
    struct Scripted {
        replies: Mutex<Vec<Reply>>,
        sent: Mutex<Vec<Command>>,
        noscript: AtomicBool,
    }

    impl CallerClient for Scripted {
        fn call(&self, command: Command) -> BoxFuture<Reply> {
            let r = if matches!(command, Command::EvalSha { .. })
                && self.noscript.swap(false, Ordering::SeqCst)
            {
                Reply::Error("NOSCRIPT No matching script. Please use EVAL.".into())
            } else {
                self.replies.lock().unwrap().remove(0)
            };
            self.sent.lock().unwrap().push(command);
            Box::pin(async move { r })
        }
    }

    fn node(replies: Vec<Reply>, noscript: bool) -> (Arc<CallerNode>, Arc<Scripted>) {
        let c = Arc::new(Scripted {
            replies: Mutex::new(replies),
            sent: Mutex::default(),
            noscript: AtomicBool::new(noscript),
        });
        let n = CallerNode::new(c.clone(), "mock".into(), CallerScripts::default());
        (n, c)
    }

    fn keys(n: usize) -> Arc<[String]> {
        (0..n).map(|i| format!("k{i}")).collect()
    }

    #[tokio::test]
    async fn acquire_sends_the_native_script_and_reads_every_vote() {
        let (n, c) = node(vec![Reply::Int(1), Reply::Int(0), Reply::Int(-1)], false);
        for want in [Vote::Yes, Vote::No, Vote::Own] {
            let v = n.acquire(keys(2), "v".into(), 1000, true).await;
            assert_eq!(v, Ok(want));
        }
        let sent = c.sent.lock().unwrap();
        let Command::EvalSha { sha, keys, args } = &sent[0] else {
            panic!("{sent:?}")
        };
        assert_eq!(&**sha, Sources::builtin().acquire.sha);
        assert_eq!(&**keys, ["k0", "k1"]);
        assert_eq!(args, &["v", "1000"]);
    }

    #[tokio::test]
    async fn noscript_falls_back_to_eval_of_the_same_script() {
        let (n, c) = node(vec![Reply::Int(1)], true);
        assert_eq!(n.extend(keys(1), "v".into(), 5).await, Ok(true));
        let sent = c.sent.lock().unwrap();
        assert!(
            matches!(&sent[1], Command::Eval { lua, .. } if &**lua == Sources::builtin().extend.lua)
        );
    }

    #[tokio::test]
    async fn garbage_is_a_node_error_never_a_vote_for() {
        let garbage = [
            Reply::Int(2),
            Reply::Text("1".into()),
            Reply::Nil,
            Reply::List(vec![Reply::Int(1)]),
            Reply::Other("a boolean"),
        ];
        for g in garbage {
            let (n, _) = node(vec![g.clone()], false);
            let v = n.acquire(keys(1), "v".into(), 1000, true).await;
            assert!(
                matches!(&v, Err(NodeError(m)) if m.contains("unexpected reply")),
                "{g:?} → {v:?}"
            );
        }
        let (n, _) = node(vec![Reply::Error("ERR boom".into())], false);
        let v = n.acquire(keys(1), "v".into(), 1000, true).await;
        assert_eq!(v, Err(NodeError("ERR boom".into())));
    }

    #[tokio::test]
    async fn release_counts_are_checked_against_the_keys() {
        let two = |d, f| Reply::List(vec![Reply::Int(d), Reply::Int(f)]);
        let (n, c) = node(vec![two(1, 1), two(2, 1), two(-1, 0)], false);
        let r = n.release(keys(2), "v".into()).await;
        assert_eq!(
            r,
            Ok(ReleaseReply {
                deleted: 1,
                foreign: 1
            })
        );
        assert!(n.release(keys(2), "v".into()).await.is_err());
        assert!(n.release(keys(2), "v".into()).await.is_err());
        // The release carries the tag; the rollback is a plain EVAL without it.
        let sent = c.sent.lock().unwrap();
        let Command::EvalSha { args, .. } = &sent[0] else {
            panic!()
        };
        assert_eq!(args[1], crate::signals::release_tag("v"));
    }

    #[tokio::test]
    async fn rollback_is_an_eval_without_the_tag() {
        let (n, c) = node(vec![Reply::List(vec![Reply::Int(1), Reply::Int(0)])], false);
        let r = n.rollback(keys(1), "v".into()).await.unwrap();
        assert_eq!(r.deleted, 1);
        let sent = c.sent.lock().unwrap();
        assert!(matches!(&sent[0], Command::Eval { args, .. } if args == &["v"]));
    }

    #[tokio::test]
    async fn fencing_sends_the_native_scripts_and_refuses_garbage() {
        let two = |a, b| Reply::List(vec![Reply::Int(a), Reply::Int(b)]);
        let replies = vec![
            two(1, 7),
            two(-1, 0),
            two(0, 0),
            Reply::Int(1),
            Reply::Int(0),
        ];
        let (n, c) = node(replies, true);
        let f = n.acquire_fenced(keys(2), "v".into(), 9).await.unwrap();
        assert_eq!((f.vote, f.counter), (Vote::Yes, 7));
        assert_eq!(
            n.acquire_fenced(keys(1), "v".into(), 9).await.unwrap().vote,
            Vote::Own
        );
        assert_eq!(
            n.acquire_fenced(keys(1), "v".into(), 9).await.unwrap().vote,
            Vote::No
        );
        assert_eq!(n.write_back(keys(1), "v".into(), 8).await, Ok(true));
        assert_eq!(n.write_back(keys(1), "v".into(), 8).await, Ok(false));
        let sent = c.sent.lock().unwrap().clone();
        let s = Sources::builtin();
        // NOSCRIPT on the first EVALSHA: the same script by EVAL.
        assert!(matches!(&sent[0], Command::EvalSha { sha, .. } if &**sha == s.acquire_fenced.sha));
        let Command::Eval { lua, keys: k, args } = &sent[1] else {
            panic!("{sent:?}")
        };
        assert_eq!(&**lua, s.acquire_fenced.lua);
        assert_eq!(
            &**k,
            ["k0", "k1", "{k0}:redlock-fence", "{k1}:redlock-fence"]
        );
        assert_eq!(args, &["v", "9"]);
        assert!(matches!(&sent[4], Command::EvalSha { sha, args, .. }
            if &**sha == s.write_back.sha && args == &["v", "8"]));
        for g in [
            two(2, 0),
            two(1, -1),
            two(0, 3),
            Reply::Int(1),
            Reply::List(vec![Reply::Int(1)]),
            Reply::Text("x".into()),
        ] {
            let (n, _) = node(vec![g.clone()], false);
            let v = n.acquire_fenced(keys(1), "v".into(), 9).await;
            assert!(
                matches!(&v, Err(NodeError(m)) if m.contains("unexpected reply")),
                "{g:?} → {v:?}"
            );
        }
        for g in [Reply::Int(2), Reply::Nil, Reply::Text("1".into())] {
            let (n, _) = node(vec![g.clone()], false);
            assert!(n.write_back(keys(1), "v".into(), 1).await.is_err(), "{g:?}");
        }
    }

    #[tokio::test]
    async fn pttl_and_quit() {
        let (n, _) = node(vec![Reply::Int(-2), Reply::Int(-1), Reply::Int(7)], false);
        assert_eq!(n.pttl("k".into()).await, Ok(None));
        assert_eq!(n.pttl("k".into()).await, Ok(Some(u64::MAX)));
        assert_eq!(n.pttl("k".into()).await, Ok(Some(7)));
        let custom = n.with_scripts(CallerScripts::default());
        n.quit();
        assert!(n.pttl("k".into()).await.is_err());
        assert!(
            custom.pttl("k".into()).await.is_err(),
            "one quit closes both"
        );
    }

    #[tokio::test]
    async fn custom_scripts_follow_node_redlocks_convention() {
        let custom = [Some("return #KEYS".to_string()), None, None];
        let c = Arc::new(Scripted {
            replies: Mutex::new(vec![Reply::Int(2), Reply::Int(1), Reply::Int(3)]),
            sent: Mutex::default(),
            noscript: AtomicBool::new(false),
        });
        let n = CallerNode::new(c.clone(), "m".into(), CallerScripts::with_custom(&custom));
        assert_eq!(n.acquire(keys(2), "v".into(), 9, true).await, Ok(Vote::Yes));
        assert_eq!(n.acquire(keys(2), "v".into(), 9, true).await, Ok(Vote::No));
        assert!(n.acquire(keys(2), "v".into(), 9, true).await.is_err());
        let sent = c.sent.lock().unwrap();
        assert!(matches!(&sent[0], Command::EvalSha { sha, .. }
            if &**sha == redis::Script::new("return #KEYS").get_hash()));
    }
}
