#!/usr/bin/env node
// `npm run pack:prebuilt`: writes to dist/ the tarballs a release would publish that this machine
// can make — the main package `redlock-rs` and the platform package `redlock-rs-linux-x64-gnu`.
// (The other platforms' packages are built by .github/workflows/release.yml.)
//
//   1. Builds the addon for x86_64-unknown-linux-gnu with a glibc 2.17 floor, release, stripped:
//      `napi build -x` (cargo-zigbuild and zig: `pip install cargo-zigbuild ziglang`, on the PATH)
//      into a scratch directory; the repository's own build (redlock-rs.linux-x64-gnu.node,
//      binding.js, binding.d.ts) is left alone.
//   2. Checks it: no GLIBC symbol version above 2.17 (objdump -T), no symbol table, and that
//      the generated loader picks it up from the platform package.
//   3. Packs the platform package from npm/linux-x64-gnu (made by `napi create-npm-dirs`) with
//      the addon copied in, as `napi artifacts` does in the release workflow.
//   4. Packs the main package from a staged copy whose package.json lists every platform package
//      in `optionalDependencies` at this version, as `napi prepublish` does at release time
//      (the repository's package.json does not: nothing is published yet), and without the
//      `prepare` script (a clone's build step). No .node inside.
//
// Options: --skip-build reuses the scratch build of a previous run (target/prebuilt/).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const { binaryName, targets } = pkg.napi
const TARGET = 'x86_64-unknown-linux-gnu'
const PLATFORM = 'linux-x64-gnu'
const GLIBC_FLOOR = '2.17'
const NODE_FILE = `${binaryName}.${PLATFORM}.node`
const scratch = path.join(root, 'target', 'prebuilt') // under target/: ignored, cleaned by cargo clean
const dist = path.join(root, 'dist')
const skipBuild = process.argv.includes('--skip-build')

function die(message) {
  console.error(`pack:prebuilt: ${message}`)
  process.exit(1)
}

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts })
  if (r.error || r.status !== 0) die(`${cmd} failed (${r.error ? r.error.message : `exit ${r.status}`})`)
}

function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, maxBuffer: 64 << 20, ...opts })
  if (r.error || r.status !== 0) die(`${cmd} ${args.join(' ')} failed: ${r.error ? r.error.message : r.stderr}`)
  return r.stdout
}

const has = (cmd, args = ['--version']) => !spawnSync(cmd, args, { stdio: 'ignore' }).error

/** 2.3.4 < 2.17: numeric, component by component (three at most in glibc versions). */
const versionKey = (v) => [...v.split('.').map(Number), 0, 0].slice(0, 3).reduce((acc, n) => acc * 1000 + n, 0)

// ---------------------------------------------------------------------------------------------
// 1. Build

const built = path.join(scratch, NODE_FILE)
if (!skipBuild || !fs.existsSync(built)) {
  if (!has('cargo-zigbuild')) {
    die(
      'cargo-zigbuild is not on the PATH. Install it and zig, e.g. ' +
        '`python3 -m venv /tmp/zig && /tmp/zig/bin/pip install cargo-zigbuild ziglang` ' +
        'and put /tmp/zig/bin first on the PATH (or `cargo install cargo-zigbuild` and zig from ziglang.org).',
    )
  }
  fs.rmSync(scratch, { recursive: true, force: true })
  fs.mkdirSync(scratch, { recursive: true })
  const t0 = Date.now()
  run(path.join(root, 'node_modules', '.bin', 'napi'), [
    'build',
    '--platform',
    '--release',
    '--strip',
    '--cross-compile', // cargo zigbuild: the `.2.17` suffix pins the glibc version zig links against
    '--target',
    `${TARGET}.${GLIBC_FLOOR}`,
    '--output-dir',
    scratch,
    '--no-js',
    '--dts',
    'binding.d.ts', // relative to --output-dir: the repository's binding.d.ts stays as it is
    '--',
    '--locked',
  ])
  console.log(`pack:prebuilt: built in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
}
if (!fs.existsSync(built)) die(`the build did not write ${built}`)

// ---------------------------------------------------------------------------------------------
// 2. Check

if (has('objdump')) {
  const dyn = capture('objdump', ['-T', built])
  const versions = [...new Set(dyn.match(/GLIBC_[0-9.]+/g) || [])].map((v) => v.slice(6))
  versions.sort((a, b) => versionKey(a) - versionKey(b))
  const newest = versions[versions.length - 1]
  if (newest && versionKey(newest) > versionKey(GLIBC_FLOOR)) {
    die(`${NODE_FILE} needs GLIBC_${newest}, newer than the ${GLIBC_FLOOR} floor`)
  }
  const headers = capture('objdump', ['-h', built])
  if (/\s\.symtab\s/.test(headers) || /\s\.debug_info\s/.test(headers)) die(`${NODE_FILE} is not stripped`)
  console.log(`pack:prebuilt: newest GLIBC symbol version ${newest} (floor ${GLIBC_FLOOR}); stripped`)
} else {
  console.warn('pack:prebuilt: objdump (binutils) is not installed: the glibc floor and stripping are not checked')
}
const size = fs.statSync(built).size
console.log(`pack:prebuilt: ${NODE_FILE} is ${size} bytes (${(size / 1024 / 1024).toFixed(1)} MiB)`)

// ---------------------------------------------------------------------------------------------
// 3. The platform package

fs.mkdirSync(dist, { recursive: true })
// Outside the repository: from inside it, `require('redlock-rs')` would resolve to the repository
// itself (a package's self-reference), not to the staged packages.
const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'redlock-rs-pack-'))
process.on('exit', () => fs.rmSync(staging, { recursive: true, force: true }))
const platformDir = path.join(staging, PLATFORM)
fs.mkdirSync(platformDir, { recursive: true })
const npmDir = path.join(root, 'npm', PLATFORM)
if (!fs.existsSync(path.join(npmDir, 'package.json'))) die(`${npmDir} is missing: run \`npx napi create-npm-dirs\``)
for (const f of fs.readdirSync(npmDir)) {
  if (!f.endsWith('.node')) fs.copyFileSync(path.join(npmDir, f), path.join(platformDir, f))
}
const platformPkg = JSON.parse(fs.readFileSync(path.join(platformDir, 'package.json'), 'utf8'))
if (platformPkg.version !== pkg.version) die(`npm/${PLATFORM}/package.json is at ${platformPkg.version}, not ${pkg.version}: run \`npx napi version\``)
fs.copyFileSync(built, path.join(platformDir, NODE_FILE))

// ---------------------------------------------------------------------------------------------
// 4. The main package: what `npm pack` takes from the repository, minus any local build

const mainDir = path.join(staging, 'main')
const listed = JSON.parse(capture('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']))[0].files
for (const { path: rel } of listed) {
  if (rel.endsWith('.node')) continue
  fs.mkdirSync(path.dirname(path.join(mainDir, rel)), { recursive: true })
  fs.copyFileSync(path.join(root, rel), path.join(mainDir, rel))
}
const mainPkg = JSON.parse(fs.readFileSync(path.join(mainDir, 'package.json'), 'utf8'))
// What `napi prepublish` adds before `npm publish`: every platform package, at this version.
mainPkg.optionalDependencies = {}
for (const dir of fs.readdirSync(path.join(root, 'npm')).sort()) {
  const p = JSON.parse(fs.readFileSync(path.join(root, 'npm', dir, 'package.json'), 'utf8'))
  mainPkg.optionalDependencies[p.name] = pkg.version
}
if (Object.keys(mainPkg.optionalDependencies).length !== targets.length) {
  die(`npm/ has ${Object.keys(mainPkg.optionalDependencies).length} platform packages for ${targets.length} napi.targets: run \`npx napi create-npm-dirs\``)
}
// `prepare` builds the addon in a clone or a git install; npm never runs it for a registry or
// tarball install, yet lists it among the scripts a user is asked to allow.
delete mainPkg.scripts.prepare
fs.writeFileSync(path.join(mainDir, 'package.json'), JSON.stringify(mainPkg, null, 2) + '\n')

// The loader in the staged main package finds the staged platform package.
const probe = path.join(staging, 'probe', 'node_modules')
fs.mkdirSync(probe, { recursive: true })
fs.cpSync(mainDir, path.join(probe, 'redlock-rs'), { recursive: true })
fs.cpSync(platformDir, path.join(probe, platformPkg.name), { recursive: true })
const loaded = capture(process.execPath, [
  '-e',
  "require('redlock-rs'); console.log(Object.keys(require.cache).filter((f) => f.endsWith('.node')).join('\\n'))",
], { cwd: path.dirname(probe), env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '' } }).trim()
if (loaded !== path.join(probe, platformPkg.name, NODE_FILE)) die(`the loader did not load the platform package's addon: ${loaded}`)

// ---------------------------------------------------------------------------------------------
// Pack

for (const name of [`${pkg.name}-${pkg.version}.tgz`, `${platformPkg.name}-${pkg.version}.tgz`]) {
  fs.rmSync(path.join(dist, name), { force: true })
}
for (const dir of [platformDir, mainDir]) {
  const out = JSON.parse(capture('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dist], { cwd: dir }))[0]
  console.log(`pack:prebuilt: dist/${out.filename}: ${out.entryCount} files, ${out.size} bytes packed, ${out.unpackedSize} unpacked`)
}
