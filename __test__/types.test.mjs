// Compiles the TypeScript usage checks in __test__/types/ against index.d.ts: correct uses must
// type-check and every `// @ts-expect-error` line must really be an error (tsc reports unused
// ones). No Redis needed; nothing is executed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')

function runTsc(project) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', project, '--pretty', 'false'],
      { cwd: root, timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : err.signal ?? err.code) : 0
        resolve({ code, output: `${stdout}${stderr}` })
      },
    )
  })
}

const projects = [
  ['module commonjs + esModuleInterop (paths mapping)', '__test__/types/tsconfig.json'],
  ['module nodenext, ESM importer (package self-reference via exports.types)', '__test__/types/tsconfig.nodenext.json'],
]

for (const [name, project] of projects) {
  test(`index.d.ts type-checks: ${name}`, { timeout: 130_000 }, async () => {
    assert.ok(existsSync(tsc), `typescript is not installed (${tsc}); run npm install`)
    const { code, output } = await runTsc(project)
    assert.equal(code, 0, `tsc -p ${project} failed:\n${output}`)
  })
}
