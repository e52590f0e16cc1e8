//! JS values → validated Rust values. Numbers arrive as `f64` and are checked here: N-API's
//! integer coercion would turn NaN into 0 and truncate fractions.

use crate::algo::settings::{duration_ms, ArgError, ArgErrorKind, SettingsInput};
use napi::bindgen_prelude::*;

/// Longest resource name accepted (bytes). Larger keys would block a Redis for everyone.
pub const MAX_RESOURCE_BYTES: usize = 4 * 1024 * 1024;
/// Longest lock id accepted (bytes).
pub const MAX_LOCK_ID_BYTES: usize = 1024;

/// Throws the error as a JS `TypeError`/`RangeError` and returns the matching napi error.
pub fn throw(env: &Env, e: ArgError) -> Error {
    let code = match e.kind {
        ArgErrorKind::Type => "ERR_INVALID_ARG_TYPE",
        ArgErrorKind::Range => "ERR_OUT_OF_RANGE",
    };
    let thrown = match e.kind {
        ArgErrorKind::Type => env.throw_type_error(&e.message, Some(code)),
        ArgErrorKind::Range => env.throw_range_error(&e.message, Some(code)),
    };
    match thrown {
        Ok(()) => Error::new(Status::PendingException, e.message),
        Err(err) => err,
    }
}

fn is_nullish(t: ValueType) -> bool {
    matches!(t, ValueType::Undefined | ValueType::Null)
}

/// An optional value of JS type `want` (`undefined`/`null` → `None`); anything else is a
/// `TypeError` "{name} must be {what}.".
fn opt_typed<T: FromNapiValue>(
    v: &Unknown,
    name: &str,
    want: ValueType,
    what: &str,
) -> std::result::Result<Option<T>, ArgError> {
    let wrong = || ArgError::type_error(format!("{name} must be {what}."));
    let t = v.get_type().map_err(|_| wrong())?;
    if is_nullish(t) {
        return Ok(None);
    }
    if t != want {
        return Err(wrong());
    }
    unsafe { v.cast::<T>() }.map(Some).map_err(|_| wrong())
}

/// An optional number (`undefined`/`null` → `None`).
pub fn opt_number(v: &Unknown, name: &str) -> std::result::Result<Option<f64>, ArgError> {
    opt_typed(v, name, ValueType::Number, "a number")
}

/// An optional string (`undefined`/`null` → `None`).
pub fn opt_string(v: &Unknown, name: &str) -> std::result::Result<Option<String>, ArgError> {
    opt_typed(v, name, ValueType::String, "a string")
}

/// An optional boolean (`undefined`/`null` → `None`).
pub fn opt_bool(v: &Unknown, name: &str) -> std::result::Result<Option<bool>, ArgError> {
    opt_typed(v, name, ValueType::Boolean, "a boolean")
}

/// A resource name: a non-empty string of bounded size.
pub fn resource(v: &Unknown, name: &str) -> std::result::Result<String, ArgError> {
    let not_a_string = || ArgError::type_error(format!("{name} must be a non-empty string."));
    let s = opt_string(v, name)
        .map_err(|_| not_a_string())?
        .ok_or_else(not_a_string)?;
    if s.is_empty() {
        return Err(ArgError::type_error(format!(
            "{name} must be a non-empty string."
        )));
    }
    if s.len() > MAX_RESOURCE_BYTES {
        return Err(ArgError::range(format!(
            "{name} must be at most {MAX_RESOURCE_BYTES} bytes."
        )));
    }
    Ok(s)
}

/// A lock id: a non-empty string of bounded size; `undefined` → `None` (use the holder's id).
pub fn lock_id(
    v: Option<&Unknown>,
    required: bool,
) -> std::result::Result<Option<String>, ArgError> {
    let s = match v {
        Some(v) => opt_string(v, "lockId")?,
        None => None,
    };
    match s {
        None if required => Err(ArgError::type_error("lockId must be a non-empty string.")),
        Some(s) if s.is_empty() => Err(ArgError::type_error("lockId must be a non-empty string.")),
        Some(s) if s.len() > MAX_LOCK_ID_BYTES => Err(ArgError::range(format!(
            "lockId must be at most {MAX_LOCK_ID_BYTES} bytes."
        ))),
        s => Ok(s),
    }
}

/// A TTL/duration in ms: a number that is a safe positive integer. Non-numbers are a
/// `TypeError`, bad numbers a `RangeError`; both carry node-redlock's message.
pub fn duration(v: &Unknown) -> std::result::Result<u64, ArgError> {
    match opt_number(v, "duration") {
        Ok(Some(n)) => duration_ms(n),
        _ => Err(ArgError::type_error(
            crate::algo::settings::DURATION_MESSAGE,
        )),
    }
}

/// Reads `obj[key]` as an `Unknown`.
pub fn prop<'a>(obj: &Object<'a>, key: &str) -> Result<Unknown<'a>> {
    obj.get_named_property::<Unknown>(key)
}

/// An options object: `undefined`/`null` → `None`; anything but an object is a `TypeError`.
pub fn opt_object<'a>(
    v: Option<Unknown<'a>>,
    name: &str,
) -> std::result::Result<Option<Object<'a>>, ArgError> {
    match v {
        Some(v) => opt_typed(&v, name, ValueType::Object, "an object"),
        None => Ok(None),
    }
}

/// Redlock settings from a JS object; unknown keys are ignored (node-redlock passes extra keys).
pub fn settings_input(obj: &Object) -> Result<std::result::Result<SettingsInput, ArgError>> {
    let mut out = SettingsInput::default();
    let fields: [(&str, &mut Option<f64>); 7] = [
        ("driftFactor", &mut out.drift_factor),
        ("retryCount", &mut out.retry_count),
        ("retryDelay", &mut out.retry_delay),
        ("retryJitter", &mut out.retry_jitter),
        (
            "automaticExtensionThreshold",
            &mut out.automatic_extension_threshold,
        ),
        ("nodeTimeout", &mut out.node_timeout),
        ("restartGuard", &mut out.restart_guard),
    ];
    for (key, slot) in fields {
        let v = prop(obj, key)?;
        match opt_number(&v, &format!("settings.{key}")) {
            Ok(n) => *slot = n,
            Err(e) => return Ok(Err(e)),
        }
    }
    match opt_bool(&prop(obj, "fencing")?, "settings.fencing") {
        Ok(b) => out.fencing = b,
        Err(e) => return Ok(Err(e)),
    }
    Ok(Ok(out))
}

/// Most resources one lock may name (one script call per node carries them all).
pub const MAX_RESOURCES: u32 = 100_000;

/// How a lock's resources are read from its JS array: the list it locks, and the array as the
/// caller gave it for messages (see [`resources_as_given`]). Chosen when a Redlock is built.
pub type ResourceList =
    fn(&Unknown, &str) -> std::result::Result<(Vec<String>, Option<String>), ArgError>;

/// A non-empty array of non-empty strings, duplicates removed (order kept): node-redlock counts
/// `["a", "a"]` as two keys and then fails its own release check. Also the array as the caller
/// gave it, printed as JS prints an array (`a,b`) for messages — only when duplicates were
/// removed: otherwise the list prints the same.
pub fn resources_as_given(
    v: &Unknown,
    name: &str,
) -> std::result::Result<(Vec<String>, Option<String>), ArgError> {
    let listed = resources_listed(v, name)?;
    let mut seen = std::collections::HashSet::with_capacity(listed.len());
    if listed.iter().all(|s| seen.insert(s.as_str())) {
        return Ok((listed, None));
    }
    let given = listed.join(",");
    let mut seen = std::collections::HashSet::with_capacity(listed.len());
    let distinct = listed
        .iter()
        .filter(|s| seen.insert(s.as_str()))
        .cloned()
        .collect();
    Ok((distinct, Some(given)))
}

/// A non-empty array of non-empty strings, every item as given (duplicates included).
pub fn resources_listed(v: &Unknown, name: &str) -> std::result::Result<Vec<String>, ArgError> {
    let not_array =
        || ArgError::type_error(format!("{name} must be a non-empty array of strings."));
    if !v.is_array().map_err(|_| not_array())? {
        return Err(not_array());
    }
    let arr = unsafe { v.cast::<Array>() }.map_err(|_| not_array())?;
    let len = arr.len();
    if len == 0 {
        return Err(ArgError::range(format!(
            "{name} must name at least one resource."
        )));
    }
    if len > MAX_RESOURCES {
        return Err(ArgError::range(format!(
            "{name} must name at most {MAX_RESOURCES} resources."
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(len as usize);
    let mut bytes = 0usize;
    for i in 0..len {
        let item = arr.get::<Unknown>(i).ok().flatten().ok_or_else(not_array)?;
        let s = resource(&item, &format!("{name}[{i}]"))?;
        bytes += s.len();
        if bytes > MAX_RESOURCE_BYTES {
            return Err(ArgError::range(format!(
                "{name} must be at most {MAX_RESOURCE_BYTES} bytes in all."
            )));
        }
        out.push(s);
    }
    Ok(out)
}

/// PEM material: a string, a Buffer, or an array of those (concatenated).
pub fn pem(v: &Unknown, name: &str) -> std::result::Result<Option<Vec<u8>>, ArgError> {
    pem_at(v, name, true)
}

/// One level of array only, as Node's `tls` options: a nested or cyclic array is refused
/// rather than followed (unbounded recursion would overflow the stack).
fn pem_at(
    v: &Unknown,
    name: &str,
    array_ok: bool,
) -> std::result::Result<Option<Vec<u8>>, ArgError> {
    let bad = || {
        ArgError::type_error(format!(
            "{name} must be a PEM string, a Buffer or an array of them."
        ))
    };
    let t = v.get_type().map_err(|_| bad())?;
    if is_nullish(t) {
        return Ok(None);
    }
    if t == ValueType::String {
        return unsafe { v.cast::<String>() }
            .map(|s| Some(s.into_bytes()))
            .map_err(|_| bad());
    }
    if v.is_buffer().map_err(|_| bad())? {
        return unsafe { v.cast::<Buffer>() }
            .map(|b| Some(b.to_vec()))
            .map_err(|_| bad());
    }
    if array_ok && v.is_array().map_err(|_| bad())? {
        let arr = unsafe { v.cast::<Array>() }.map_err(|_| bad())?;
        let mut out = Vec::new();
        for i in 0..arr.len() {
            let item = arr.get::<Unknown>(i).ok().flatten().ok_or_else(bad)?;
            let part = pem_at(&item, name, false)?.ok_or_else(bad)?;
            out.extend_from_slice(&part);
            out.push(b'\n');
        }
        return Ok(Some(out));
    }
    Err(bad())
}
