'use strict'
// Custom Lua scripts: node-redlock's third constructor argument and v4's script settings.

const { defaultScripts } = require('./native.js')
const { typeError } = require('./errors.js')

const SCRIPT_KEYS = ['acquireScript', 'extendScript', 'releaseScript']

/**
 * The caller's scripts as strings: node-redlock's third argument (`acquireScript`, … as a
 * string, or a function of the default script) and v4's `lockScript` / `extendScript` /
 * `unlockScript` settings. node-redlock ignores the string form; redlock-rs honours it.
 */
function resolveScripts(settings, scripts) {
  // Not an object: handed to the addon as it is, which refuses it.
  if (scripts !== undefined && scripts !== null && typeof scripts !== 'object') return scripts
  const s = settings !== null && typeof settings === 'object' ? settings : {}
  const given = {
    acquireScript: s.lockScript,
    extendScript: s.extendScript,
    releaseScript: s.unlockScript,
    ...Object.fromEntries(Object.entries(scripts || {}).filter(([, v]) => v !== undefined)),
  }
  let defaults
  const out = {}
  for (const key of SCRIPT_KEYS) {
    let v = given[key]
    if (v === undefined || v === null) continue
    if (typeof v === 'function') {
      defaults = defaults || defaultScripts()
      v = v(defaults[key])
    }
    if (typeof v !== 'string') throw typeError(`scripts.${key} must be a string or a function returning one.`)
    out[key] = v
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/** node-redlock v5's `redlock.scripts` (`{ acquireScript: { value, hash }, … }`, hashed in Rust), frozen. */
function frozenScripts(native) {
  const scripts = native.scripts
  for (const key of SCRIPT_KEYS) Object.freeze(scripts[key])
  return Object.freeze(scripts)
}

module.exports = { resolveScripts, frozenScripts }
