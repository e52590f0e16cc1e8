// Compiles small TypeScript user projects (__test__/types/<project>/) against index.d.ts with
// `tsc --noEmit`: correct uses must type-check and every `// @ts-expect-error` line must really be
// an error (tsc reports unused ones). No Redis needed; nothing is executed.
//
// 'redlock-rs' is resolved the way users get it: the test builds a throw-away directory in the
// OS temp dir with node_modules/redlock-rs/ holding a copy of package.json and the declaration
// files (so resolution goes through the package's `exports`, `types` condition first), links
// node_modules/@types, ioredis and redis to this repository's dev dependencies, copies each
// project next to it and runs tsc there. The directory is removed afterwards.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const projectsDir = path.join(root, '__test__', 'types')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const TSC_TIMEOUT_MS = 45_000

/** Each project: a directory under __test__/types with a tsconfig.json. */
const projects = [
  ['v5-interop', 'v5 code, module commonjs + esModuleInterop'],
  ['v5-nest', 'v5 code, NestJS defaults (commonjs + allowSyntheticDefaultImports only)'],
  ['v5-nodenext', 'v5 code, module nodenext (.mts ESM and .cts CommonJS importers)'],
  ['v5-bundler', 'v5 code, moduleResolution bundler + module esnext + verbatimModuleSyntax'],
  ['v4-interop', 'v4 code written against @types/redlock, esModuleInterop'],
  ['v4-require', 'v4 code, import Redlock = require() without esModuleInterop'],
  ['original', 'original redlock-rs API, commonjs + esModuleInterop (every member)'],
]

// Dev dependencies the projects import, linked into the temp node_modules.
const linked = ['@types', 'ioredis', 'redis']

let tmp

before(() => {
  assert.ok(fs.existsSync(tsc), `typescript is not installed (${tsc}); run npm install`)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redlock-rs-types-'))
  const modules = path.join(tmp, 'node_modules')
  const pkg = path.join(modules, 'redlock-rs')
  fs.mkdirSync(pkg, { recursive: true })
  // package.json (its `exports` drive resolution) and every declaration file at the root.
  for (const f of fs.readdirSync(root)) {
    if (f === 'package.json' || /\.d\.[cm]?ts$/.test(f)) fs.copyFileSync(path.join(root, f), path.join(pkg, f))
  }
  for (const dep of linked) {
    const target = path.join(root, 'node_modules', dep)
    assert.ok(fs.existsSync(target), `${target} is missing; run npm install`)
    fs.symlinkSync(target, path.join(modules, dep), process.platform === 'win32' ? 'junction' : 'dir')
  }
  for (const [name] of projects) {
    fs.cpSync(path.join(projectsDir, name), path.join(tmp, name), { recursive: true })
  }
})

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

function runTsc(project) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', project, '--pretty', 'false'],
      { cwd: path.dirname(project), timeout: TSC_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : err.signal ?? err.code) : 0
        resolve({ code, output: `${stdout}${stderr}` })
      },
    )
  })
}

// The projects compile in parallel (a few tsc processes at a time); each test awaits its own.
let running = null
function runAll() {
  if (running) return running
  const limit = Math.max(2, Math.min(4, os.availableParallelism?.() ?? os.cpus().length))
  const results = new Map()
  const queue = [...projects.map(([name]) => name)]
  const worker = async () => {
    while (queue.length > 0) {
      const name = queue.shift()
      results.set(name, await runTsc(path.join(tmp, name, 'tsconfig.json')))
    }
  }
  running = Promise.all(Array.from({ length: limit }, worker)).then(() => results)
  return running
}

for (const [name, description] of projects) {
  test(`index.d.ts type-checks: ${name} (${description})`, { timeout: TSC_TIMEOUT_MS * 3 }, async () => {
    const { code, output } = (await runAll()).get(name)
    assert.equal(
      code,
      0,
      `tsc -p __test__/types/${name} failed (exit ${code}; paths are relative to a copy of the ` +
        `project, ../node_modules/redlock-rs/index.d.ts is index.d.ts):\n${output}`,
    )
  })
}
