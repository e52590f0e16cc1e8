'use strict'
// The `install` script, a fallback only. A released redlock-rs comes with a prebuilt native
// addon in a per-platform package (redlock-rs-linux-x64-gnu, …, an optional dependency that npm
// installs only on its platform); the generated loader (binding.js) finds it, and this script
// has nothing to do — nor does a user who does not allow install scripts need it to run.
//
//   1. A prebuilt addon loads (a local build next to this file, or the platform package): done.
//   2. A clone with the dev tools (npm ci / npm install in the repository): `prepare` builds the
//      addon with the napi CLI after this script; nothing to do here.
//   3. cargo is on the PATH: build the addon from source (cargo build --release --locked).
//   4. Otherwise: say what to do (a supported platform's package, or Rust + `npm rebuild`)
//      and fail without a stack trace.
const { existsSync, copyFileSync, rmSync } = require('node:fs')
const { join } = require('node:path')
const { spawnSync } = require('node:child_process')

const { platformName, remedies: remediesFor } = require('./lib/platform.js')

/** Whether the generated loader finds an addon that loads; the reason if not. */
function prebuiltLoads() {
  try {
    require('./binding.js')
    return { ok: true }
  } catch (err) {
    // The loader chains one error per candidate through `cause`: "Cannot find module …" for a
    // missing one, or a load error worth showing (a wrong architecture, a glibc too old…).
    let reason = null
    for (let e = err && err.cause, n = 0; e && n < 50; e = e.cause, n++) {
      if (!/Cannot find module/.test(String(e.message))) reason = String(e.message).split('\n')[0]
    }
    return { ok: false, reason }
  }
}

function fail(lines) {
  console.error(lines.join('\n'))
  process.exit(1)
}

const root = __dirname
const name = platformName()
const prebuilt = prebuiltLoads()
if (prebuilt.ok) process.exit(0)
if (existsSync(join(root, 'node_modules', '@napi-rs', 'cli'))) process.exit(0)

const cargoThere = !spawnSync('cargo', ['--version'], { stdio: 'ignore' }).error
const remedies = remediesFor(name)
const why = [
  `redlock-rs: no prebuilt native addon loads on this platform (${name}, Node.js ${process.version})` +
    (prebuilt.reason ? `: ${prebuilt.reason}` : '.'),
]
if (!cargoThere) fail([...why, 'cargo is not on the PATH to build one from source.', ...remedies])

console.log(`redlock-rs: no prebuilt addon for ${name}; building it from source (cargo build --release)…`)
const cargo = spawnSync('cargo', ['build', '--release', '--locked'], { cwd: root, stdio: 'inherit' })
if (cargo.error || cargo.status !== 0) {
  fail([...why, 'Building it from source with cargo failed (see the output above).', ...remedies])
}
const built = {
  linux: 'libredlock_rs.so',
  darwin: 'libredlock_rs.dylib',
  win32: 'redlock_rs.dll',
}[process.platform]
const target = join(root, `redlock-rs.${name}.node`)
copyFileSync(join(root, 'target', 'release', built || 'libredlock_rs.so'), target)
// The build directory is hundreds of MB and not needed at run time.
rmSync(join(root, 'target'), { recursive: true, force: true })
console.log(`redlock-rs: built ${target}`)
