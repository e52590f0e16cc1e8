//! The caller's client object as a `CallerClient` (`crate::backend::caller`): a JS function
//! `(command, scriptOrKey, keys, args) => Promise<reply>` made by lib/client-adapters.js, called
//! from any thread through a ThreadsafeFunction. Its reply is read here into a `Reply`; what it
//! means is the backend's business.

use crate::backend::caller::{CallerClient, Command, Reply};
use crate::backend::BoxFuture;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use std::sync::Arc;

type CallArgs = FnArgs<(String, String, Vec<String>, Vec<String>)>;

/// Weak: a Redlock over caller clients must not keep the process alive by itself (a pending
/// operation does, through its own Promise).
pub type CallFn = ThreadsafeFunction<CallArgs, Promise<JsReply>, CallArgs, Status, false, true>;

/// A JS value read as a `Reply`; never fails, so a client returning garbage is a node error
/// decided by the backend, not a conversion error (or a crash) here.
pub struct JsReply(Reply);

impl TypeName for JsReply {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for JsReply {}

impl FromNapiValue for JsReply {
    unsafe fn from_napi_value(env: napi::sys::napi_env, v: napi::sys::napi_value) -> Result<Self> {
        let u = unsafe { Unknown::from_napi_value(env, v) }?;
        Ok(JsReply(reply_of(&u, true)))
    }
}

/// Longest array accepted as a reply (the release script answers two numbers).
const MAX_ITEMS: u32 = 16;

fn reply_of(u: &Unknown, top: bool) -> Reply {
    let Ok(t) = u.get_type() else {
        return Reply::Other("an unreadable value");
    };
    match t {
        ValueType::Undefined | ValueType::Null => Reply::Nil,
        ValueType::Number => match unsafe { u.cast::<f64>() } {
            Ok(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => Reply::Int(n as i64),
            _ => Reply::Other("a number that is not a safe integer"),
        },
        ValueType::String => match unsafe { u.cast::<String>() } {
            Ok(s) => Reply::Text(s),
            Err(_) => Reply::Other("an unreadable string"),
        },
        ValueType::Boolean => Reply::Other("a boolean"),
        ValueType::Object => object_reply(u, top),
        _ => Reply::Other("a value of another type"),
    }
}

fn object_reply(u: &Unknown, top: bool) -> Reply {
    if u.is_error().unwrap_or(false) {
        let message = unsafe { u.cast::<Object>() }
            .and_then(|o| o.get_named_property::<Unknown>("message"))
            .ok()
            .and_then(|m| match m.get_type() {
                Ok(ValueType::String) => unsafe { m.cast::<String>() }.ok(),
                _ => None,
            });
        return Reply::Error(message.unwrap_or_else(|| "the client failed".into()));
    }
    if u.is_buffer().unwrap_or(false) {
        return match unsafe { u.cast::<Buffer>() } {
            Ok(b) => Reply::Text(String::from_utf8_lossy(&b).into_owned()),
            Err(_) => Reply::Other("an unreadable Buffer"),
        };
    }
    if !u.is_array().unwrap_or(false) {
        return Reply::Other("an object");
    }
    if !top {
        return Reply::Other("a nested array");
    }
    let Ok(arr) = (unsafe { u.cast::<Array>() }) else {
        return Reply::Other("an unreadable array");
    };
    if arr.len() > MAX_ITEMS {
        return Reply::Other("a long array");
    }
    let mut items = Vec::with_capacity(arr.len() as usize);
    for i in 0..arr.len() {
        match arr.get::<Unknown>(i) {
            Ok(Some(item)) => items.push(reply_of(&item, false)),
            _ => return Reply::Other("an unreadable array"),
        }
    }
    Reply::List(items)
}

/// The JS function of one caller client.
pub(crate) struct JsCaller(Arc<CallFn>);

impl JsCaller {
    pub(crate) fn new(f: CallFn) -> Self {
        JsCaller(Arc::new(f))
    }
}

impl CallerClient for JsCaller {
    fn call(&self, command: Command) -> BoxFuture<Reply> {
        let f = self.0.clone();
        let args = match command {
            Command::EvalSha { sha, keys, args } => ("evalsha", sha.to_string(), keys, args),
            Command::Eval { lua, keys, args } => ("eval", lua.to_string(), keys, args),
            Command::Pttl { key } => ("pttl", key, Arc::from([]), Vec::new()),
        };
        Box::pin(async move {
            let (cmd, a, keys, rest) = args;
            let call: CallArgs = (cmd.to_string(), a, keys.to_vec(), rest).into();
            let promise = match f.call_async(call).await {
                Ok(p) => p,
                Err(e) => {
                    return Reply::Error(format!("the client could not be called: {}", e.reason))
                }
            };
            match promise.await {
                Ok(JsReply(r)) => r,
                // The adapter resolves with the client's errors; a rejection is unexpected.
                Err(e) => Reply::Error(e.reason),
            }
        })
    }
}
