// Installing redlock-rs as a user does (issue 12): the main package without a compiler, its
// native addon from the platform package `redlock-rs-<platform>` (or a local build), and
// install.js only as a fallback.
//
// Each case is a throw-away project under the OS temp directory (outside this repository, where
// `require('redlock-rs')` would be the repository itself) holding node_modules/redlock-rs — the
// files `npm pack` puts in the main package, listed once — and, as the case needs, the platform
// package made from npm/<platform>/ with this repository's built addon inside, which is what
// `npm run pack:prebuilt` and the release put there. No network, no build: a few seconds.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { startServers, stopAll } from './helpers/redis.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))

/** The napi-rs platform name, as binding.js and install.js compute it. */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

const PLATFORM = platformName()
const NODE_FILE = `${pkg.napi.binaryName}.${PLATFORM}.node`
const PLATFORM_PKG = `${pkg.name}-${PLATFORM}`
const builtAddon = path.join(root, NODE_FILE)
// Only a platform outside napi.targets (none that CI runs on) has no platform package to test.
const noPlatformPackage = fs.existsSync(path.join(root, 'npm', PLATFORM)) ? false : `no prebuilt package for ${PLATFORM}`

let work // temp directory for every case
let packed // the paths `npm pack` puts in the main package
let template // an unpacked main package without any .node
let noCargoPath // a PATH with node and nothing else
let server

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'redlock-rs-install-'))
  const list = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })
  assert.equal(list.status, 0, list.stderr)
  packed = JSON.parse(list.stdout)[0].files.map((f) => f.path)
  template = path.join(work, 'template')
  for (const rel of packed) {
    if (rel.endsWith('.node')) continue
    fs.mkdirSync(path.dirname(path.join(template, rel)), { recursive: true })
    fs.copyFileSync(path.join(root, rel), path.join(template, rel))
  }
  const bin = path.join(work, 'bin')
  fs.mkdirSync(bin)
  fs.symlinkSync(process.execPath, path.join(bin, 'node'))
  noCargoPath = bin
  ;[server] = await startServers(1)
})

after(async () => {
  await stopAll()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

let projects = 0
/** A project with node_modules/redlock-rs; `local`: a built addon inside it; `platform`: the
 *  platform package beside it. */
function project({ local = false, platform = false } = {}) {
  assert.ok(fs.existsSync(builtAddon), `${NODE_FILE} is not built: run npm run build`)
  const dir = path.join(work, `project-${++projects}`)
  const main = path.join(dir, 'node_modules', pkg.name)
  fs.cpSync(template, main, { recursive: true })
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `p${projects}`, private: true }))
  if (local) fs.copyFileSync(builtAddon, path.join(main, NODE_FILE))
  if (platform) {
    const dest = path.join(dir, 'node_modules', PLATFORM_PKG)
    fs.mkdirSync(dest, { recursive: true })
    fs.copyFileSync(path.join(root, 'npm', PLATFORM, 'package.json'), path.join(dest, 'package.json'))
    fs.copyFileSync(builtAddon, path.join(dest, NODE_FILE))
  }
  return { dir, main }
}

function node(args, cwd, env = {}) {
  const r = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '', NODE_OPTIONS: '', ...env },
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** Loads redlock-rs (CommonJS) in the project and prints the addon files that loaded. */
const WHICH_ADDON =
  "require('redlock-rs'); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.endsWith('.node'))))"

function loadedAddons(dir) {
  const r = node(['-e', WHICH_ADDON], dir)
  assert.equal(r.code, 0, r.err)
  return JSON.parse(r.out).map((f) => fs.realpathSync(f))
}

const real = (p) => fs.realpathSync(p)

test(`with only the platform package (${PLATFORM_PKG}), require and import load it and take a lock`, { skip: noPlatformPackage }, () => {
  const { dir } = project({ platform: true })
  assert.deepEqual(loadedAddons(dir), [real(path.join(dir, 'node_modules', PLATFORM_PKG, NODE_FILE))])

  const url = `redis://127.0.0.1:${server.port}`
  fs.writeFileSync(
    path.join(dir, 'lock.cjs'),
    `const Redlock = require('redlock-rs')
const redlock = new Redlock([${JSON.stringify(url)}], { retryCount: 0 })
redlock.acquire(['install-test:cjs'], 5000)
  .then((lock) => lock.release())
  .then(() => console.log('cjs locked'))
  .finally(() => redlock.quit())
`,
  )
  fs.writeFileSync(
    path.join(dir, 'lock.mjs'),
    `import Redlock from 'redlock-rs'
const redlock = new Redlock([${JSON.stringify(url)}], { retryCount: 0 })
try {
  const lock = await redlock.acquire(['install-test:esm'], 5000)
  await lock.release()
  console.log('esm locked')
} finally {
  await redlock.quit()
}
`,
  )
  for (const [file, says] of [['lock.cjs', 'cjs locked'], ['lock.mjs', 'esm locked']]) {
    const r = node([file], dir)
    assert.equal(r.code, 0, `${file}: ${r.err}`)
    assert.equal(r.out.trim(), says)
  }
})

test('with the platform package, install.js does nothing and needs no cargo', { skip: noPlatformPackage }, () => {
  const { dir, main } = project({ platform: true })
  const r = node(['install.js'], main, { PATH: noCargoPath })
  assert.equal(r.code, 0, r.err)
  assert.equal(r.out + r.err, '')
  assert.ok(!fs.existsSync(path.join(main, NODE_FILE)), 'install.js built something')
  assert.ok(!fs.existsSync(path.join(main, 'target')), 'install.js ran cargo')
  assert.equal(fs.existsSync(path.join(dir, 'node_modules', PLATFORM_PKG)), true)
})

test('a local build next to binding.js is loaded before the platform package', { skip: noPlatformPackage }, () => {
  const { dir, main } = project({ local: true, platform: true })
  assert.deepEqual(loadedAddons(dir), [real(path.join(main, NODE_FILE))])
  const alone = project({ local: true })
  assert.deepEqual(loadedAddons(alone.dir), [real(path.join(alone.main, NODE_FILE))])
  const r = node(['install.js'], alone.main, { PATH: noCargoPath })
  assert.equal(r.code, 0, r.err)
  assert.equal(r.out + r.err, '')
})

test('with neither and no cargo, install.js names both remedies, exits non-zero, no stack trace', () => {
  const { dir, main } = project()
  const r = node(['install.js'], main, { PATH: noCargoPath })
  assert.equal(r.code, 1)
  assert.equal(r.out, '')
  assert.match(r.err, new RegExp(`no prebuilt native addon loads on this platform \\(${PLATFORM}, `))
  assert.match(r.err, /cargo is not on the PATH/)
  assert.match(r.err, new RegExp(`install the prebuilt package ${PLATFORM_PKG}`))
  assert.match(r.err, /install the Rust toolchain \(https:\/\/rustup\.rs/)
  assert.match(r.err, /then run `npm rebuild redlock-rs`/)
  assert.doesNotMatch(r.err, /^\s+at /m, 'a stack trace')
  assert.doesNotMatch(r.err, /Error:/)
  // Without the install script (scripts not allowed), the first require fails with a code.
  const req = node(['-e', "try { require('redlock-rs') } catch (e) { console.log(e.code) }"], dir)
  assert.equal(req.out.trim(), 'ERR_REDLOCK_NOT_BUILT', req.err)
})

test('npm/ holds one platform package per napi target, as napi create-npm-dirs makes them', () => {
  const dirs = fs.readdirSync(path.join(root, 'npm')).sort()
  assert.equal(dirs.length, pkg.napi.targets.length)
  const { PREBUILT } = createRequire(import.meta.url)('../lib/platform.js')
  assert.deepEqual([...PREBUILT].sort(), dirs, "lib/platform.js's PREBUILT list")
  for (const d of dirs) {
    const p = JSON.parse(fs.readFileSync(path.join(root, 'npm', d, 'package.json'), 'utf8'))
    assert.equal(p.name, `${pkg.name}-${d}`)
    assert.equal(p.version, pkg.version, `npm/${d}: run npx napi version`)
    assert.equal(p.main, `${pkg.napi.binaryName}.${d}.node`)
    assert.deepEqual(p.files, [p.main])
    assert.deepEqual(p.os, [d.split('-')[0]])
    assert.equal(p.cpu.length, 1)
    if (d.startsWith('linux-')) assert.deepEqual(p.libc, [d.endsWith('-musl') ? 'musl' : 'glibc'])
  }
  // Wired at release time only (napi prepublish / npm run pack:prebuilt), never in the repository.
  assert.equal(pkg.optionalDependencies, undefined)
})

test('the main package carries what its Markdown files link to, and package.json says where it lives', () => {
  const inPackage = new Set(packed)
  for (const rel of packed.filter((f) => f.endsWith('.md'))) {
    const text = fs.readFileSync(path.join(root, rel), 'utf8')
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1]
      if (/^[a-z]+:/i.test(href) || href.startsWith('#')) continue
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), href.split('#')[0]))
      const found = inPackage.has(target) || packed.some((f) => f.startsWith(`${target.replace(/\/$/, '')}/`))
      assert.ok(found, `${rel} links to ${href}, which is not in the package`)
    }
  }
  for (const f of ['README.md', 'SAFETY.md', 'install.js', 'binding.js', 'index.js', 'index.mjs', 'index.d.ts']) {
    assert.ok(inPackage.has(f), `${f} is not packed`)
  }
  assert.ok(!packed.some((f) => f.startsWith('__test__/') || f.startsWith('target/') || f.startsWith('npm/')))
  assert.match(pkg.repository.url, /^git\+https:\/\//)
  assert.match(pkg.bugs.url, /^https:\/\//)
  assert.match(pkg.homepage, /^https:\/\//)
})
