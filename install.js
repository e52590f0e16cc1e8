'use strict'
// `npm install redlock-rs` from the registry or a tarball: there is no prebuilt binary, so build
// the addon from source with cargo when it is missing. (A clone builds it in `prepare` with
// the napi CLI, a devDependency; this script then has nothing to do.)
const { existsSync, copyFileSync, rmSync } = require('node:fs')
const { join } = require('node:path')
const { spawnSync } = require('node:child_process')

function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report && process.report.getReport().header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

const root = __dirname
const target = join(root, `redlock-rs.${platformName()}.node`)
if (existsSync(target) || existsSync(join(root, 'node_modules', '@napi-rs', 'cli'))) process.exit(0)

console.log('redlock-rs: building the native addon from source (cargo build --release)…')
const cargo = spawnSync('cargo', ['build', '--release', '--locked'], { cwd: root, stdio: 'inherit' })
if (cargo.error || cargo.status !== 0) {
  console.error(
    'redlock-rs: the native addon could not be built. It needs the Rust toolchain ' +
      '(https://rustup.rs); then run `npm rebuild redlock-rs`.',
  )
  process.exit(1)
}
const built = {
  linux: 'libredlock_rs.so',
  darwin: 'libredlock_rs.dylib',
  win32: 'redlock_rs.dll',
}[process.platform]
copyFileSync(join(root, 'target', 'release', built || 'libredlock_rs.so'), target)
// The build directory is hundreds of MB and not needed at run time.
rmSync(join(root, 'target'), { recursive: true, force: true })
console.log(`redlock-rs: built ${target}`)
