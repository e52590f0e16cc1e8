'use strict'
// Which prebuilt package serves this machine; shared by install.js and the missing-addon message.

/** The napi-rs platform name: linux-x64-gnu, linux-arm64-musl, darwin-arm64, win32-x64-msvc… */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report && process.report.getReport().header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** The platforms with a prebuilt package (napi.targets; npm/ holds one package per entry). */
const PREBUILT = ['linux-x64-gnu', 'linux-x64-musl', 'linux-arm64-gnu', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']

/** What to do when no addon loads: the platform package, or building it with Rust. */
function remedies(name = platformName()) {
  return [
    'Either:',
    PREBUILT.includes(name)
      ? `  - install the prebuilt package redlock-rs-${name}: npm installs it with redlock-rs (an optional\n` +
        '    dependency) unless optional dependencies are omitted (--omit=optional) or unreachable, or'
      : `  - use a platform with a prebuilt package (${PREBUILT.join(', ')}), or`,
    '  - install the Rust toolchain (https://rustup.rs, stable >= 1.88), then run `npm rebuild redlock-rs`',
    '    (in a clone of the repository: `npm run build`).',
  ]
}

module.exports = { platformName, remedies, PREBUILT }
