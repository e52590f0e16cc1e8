// Runs README.md's code samples as a new user would, so the README cannot drift from the code.
//
// Every fenced block in README.md carries an HTML comment on the line before its fence:
//   <!-- program: NAME prints "TEXT" -->  a complete program: written to NAME (.mjs / .js / .cjs
//                                         run by node; .ts compiled with the repository's tsc
//                                         and the tsconfig.json block before it, then run); it
//                                         must exit 0 and print TEXT on a line of its own.
//   <!-- file: NAME -->                   a file the next program needs (e.g. tsconfig.json).
//   <!-- not a program -->                a shell command, an output listing, a fragment.
// An unmarked block fails the test, so nothing in the README escapes it by accident.
//
// The programs run against three throw-away redis-server processes: the ports 6379, 6380 and
// 6381 they name are rewritten to those servers' ports. A sample that names any other port, a
// host other than localhost / 127.0.0.1, or a client without an explicit port (which would
// default to 6379) fails before it runs: a sample must never reach a real Redis.
//
// 'redlock-rs' resolves to this repository the way it does for a user: each program is written
// under __test__/readme/.tmp/ (removed afterwards), beside a package.json of its own and a
// node_modules/redlock-rs symlink to the repository root; ioredis, typescript and @types/node
// come from the repository's node_modules further up.
//
// It also checks that every relative link in README.md, SAFETY.md and docs/*.md resolves (file
// and #anchor).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServers, stopAll } from './helpers/redis.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tmp = path.join(root, '__test__', 'readme', '.tmp')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const RUN_TIMEOUT_MS = 30_000
const TSC_TIMEOUT_MS = 120_000 // tsc is slow on a loaded 2-core machine
/** The ports the README's samples name, in the order of the servers that replace them. */
const SAMPLE_PORTS = [6379, 6380, 6381]
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1'])
const PROGRAM_LANGS = new Set(['js', 'javascript', 'mjs', 'cjs', 'ts', 'typescript'])

// ---------------------------------------------------------------------------------------------
// Parsing

/** The fenced blocks of a Markdown text: `{ line, lang, code, marker }` (marker: the HTML
 *  comment on the last non-blank line before the fence, or null). */
export function fencedBlocks(markdown) {
  const lines = markdown.split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i])
    if (!open) continue
    const fence = open[2]
    let end = i + 1
    while (end < lines.length && !lines[end].trimStart().startsWith(fence)) end++
    assert.ok(end < lines.length, `README.md:${i + 1}: unclosed code fence`)
    let j = i - 1
    while (j >= 0 && lines[j].trim() === '') j--
    const prev = j >= 0 ? lines[j].trim() : ''
    blocks.push({
      line: i + 1,
      lang: open[3].toLowerCase(),
      code: lines.slice(i + 1, end).join('\n') + '\n',
      marker: /^<!--.*-->$/.test(prev) ? prev : null,
    })
    i = end
  }
  return blocks
}

/** Classifies the README's blocks into programs (each with the files it needs) and the rest. */
function readmePrograms() {
  const blocks = fencedBlocks(fs.readFileSync(path.join(root, 'README.md'), 'utf8'))
  const programs = []
  let files = []
  for (const b of blocks) {
    const where = `README.md:${b.line}`
    const m = b.marker
    let r
    if (m === '<!-- not a program -->') continue
    if (m && (r = /^<!-- file: ([\w.-]+) -->$/.exec(m))) {
      files.push({ name: r[1], code: b.code })
      continue
    }
    if (m && (r = /^<!-- program: ([\w.-]+\.(?:mjs|cjs|js|ts)) prints "([^"]+)" -->$/.exec(m))) {
      assert.ok(PROGRAM_LANGS.has(b.lang), `${where}: a program in a \`${b.lang || 'plain'}\` fence`)
      programs.push({ where, name: r[1], prints: r[2], code: b.code, files })
      files = []
      continue
    }
    assert.fail(
      `${where}: a \`${b.lang || 'plain'}\` block without a marker (or with an unknown one: ${m}); ` +
        'put <!-- program: NAME prints "TEXT" -->, <!-- file: NAME --> or <!-- not a program --> on the line before it',
    )
  }
  assert.equal(files.length, 0, 'a <!-- file: … --> block is not followed by a program')
  return programs
}

// ---------------------------------------------------------------------------------------------
// Pointing a sample at the test's servers

/** The text between the parentheses that open at `code[open]`, or null if unbalanced. */
function parenthesized(code, open) {
  let depth = 0
  for (let i = open; i < code.length; i++) {
    if (code[i] === '(') depth++
    else if (code[i] === ')' && --depth === 0) return code.slice(open + 1, i)
  }
  return null
}

/**
 * Rewrites the sample ports to the test servers' ports; throws if the sample could reach any
 * other server: an unmapped port, a non-local host, or a client constructed without a port.
 */
export function pointAtServers(code, ports) {
  const map = new Map(SAMPLE_PORTS.map((p, i) => [p, ports[i]]))
  const problems = []
  // Ports after a host (host:port, in URLs or not; a resource such as `orders:42` has no dot and
  // is not a host), in option objects (port: N) and in ioredis's positional form.
  const portForms = [/\b(?:localhost|[\w-]+(?:\.[\w-]+)+|\[[\d:a-f]+\]):(\d{2,5})\b/gi, /\bport\s*:\s*(\d+)/g, /\bnew\s+(?:Redis|IORedis|IoredisClient)\s*\(\s*(\d+)/g]
  for (const re of portForms) {
    for (const m of code.matchAll(re)) if (!map.has(Number(m[1]))) problems.push(`port ${m[1]} (in \`${m[0]}\`)`)
  }
  // Hosts in URLs, option objects and `new Redis(port, 'host')`.
  const hostForms = [/\w+s?:\/\/(?:[^@/\s'"`]*@)?([^:/\s'"`]+)/g, /\bhost\s*:\s*['"`]([^'"`]+)/g, /\bnew\s+(?:Redis|IORedis|IoredisClient)\s*\(\s*\d+\s*,\s*['"`]([^'"`]+)/g]
  for (const re of hostForms) {
    for (const m of code.matchAll(re)) if (!LOCAL_HOSTS.has(m[1])) problems.push(`host ${m[1]} (in \`${m[0]}\`)`)
  }
  // Every client the sample makes must name one of the mapped ports (a default port is 6379).
  for (const m of code.matchAll(/\b(?:new\s+(?:Redis|IORedis|IoredisClient|RedisJsClient|Cluster)|createClient|createCluster)\s*\(/g)) {
    const args = parenthesized(code, m.index + m[0].length - 1)
    if (args === null || ![...map.keys()].some((p) => new RegExp(`\\b${p}\\b`).test(args))) {
      problems.push(`a client without one of the ports ${SAMPLE_PORTS.join(', ')} (\`${m[0]}${args ?? ''})\`)`)
    }
  }
  for (const m of code.matchAll(/['"`]rediss?:\/\/[^'"`]*['"`]/g)) {
    if (![...map.keys()].some((p) => m[0].includes(`:${p}`))) problems.push(`a URL without one of the mapped ports (${m[0]})`)
  }
  if (problems.length) throw new Error(`the sample could reach a server the test did not start: ${problems.join('; ')}`)
  return code.replace(/\b(6379|6380|6381)\b/g, (p) => String(map.get(Number(p))))
}

// ---------------------------------------------------------------------------------------------
// Running

function run(args, cwd, timeout) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, timeout, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : (err.signal ?? err.code)) : 0
        resolve({ code, stdout, stderr, killed: !!err?.killed })
      },
    )
  })
}

/** Connections each server has accepted so far (INFO stats). */
async function connectionsReceived(servers) {
  return Promise.all(
    servers.map(async (s) => Number(/total_connections_received:(\d+)/.exec(await s.redis.info('stats'))[1])),
  )
}

let servers
let programs

before(async () => {
  programs = readmePrograms()
  servers = await startServers(SAMPLE_PORTS.length)
  await connectionsReceived(servers) // opens the inspection clients before any count is taken
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(path.join(tmp, 'node_modules'), { recursive: true })
  // A project of its own: the repository's package.json must not be the nearest one (it would
  // let 'redlock-rs' resolve by self-reference instead of through node_modules).
  fs.writeFileSync(path.join(tmp, 'package.json'), '{ "name": "readme-samples", "private": true }\n')
  fs.symlinkSync(root, path.join(tmp, 'node_modules', 'redlock-rs'), 'dir')
})

after(async () => {
  fs.rmSync(tmp, { recursive: true, force: true })
  await stopAll()
})

test('README.md: every fenced block is marked, and there is a sample for each API', () => {
  // readmePrograms() asserted the markers; the three quick starts must be among the programs.
  const names = programs.map((p) => p.name)
  assert.ok(names.length >= 3, `only ${names.length} programs: ${names.join(', ')}`)
  for (const api of [/\bRedlock\b[\s\S]*\.(?:acquire|using)\(/, /\.lock\(/, /\.acquireLock\(/]) {
    assert.ok(programs.some((p) => api.test(p.code)), `no program uses ${api}`)
  }
})

test('the port guard refuses samples that could reach another server', () => {
  const ports = [40001, 40002, 40003]
  assert.equal(pointAtServers("new Redis({ host: 'localhost', port: 6380 })", ports), "new Redis({ host: 'localhost', port: 40002 })")
  assert.equal(pointAtServers("'redis://localhost:6381'", ports), "'redis://localhost:40003'")
  for (const bad of [
    "new Redis({ host: 'localhost', port: 6390 })",
    "'redis://localhost:7000'",
    "new Redis(6379, 'redis1.example.com')",
    "new Redis({ host: 'localhost' })",
    'new IoredisClient()',
    "new RedisJsClient({ url: 'redis://localhost' })",
    "createClient({ url: 'redis://10.0.0.1:6379' })",
  ]) {
    assert.throws(() => pointAtServers(bad, ports), /could reach a server/, bad)
  }
})

// One test per program, declared once the README is parsed (synchronously, at load time).
for (const program of readmePrograms()) {
  test(`README sample ${program.name} (${program.where}) runs and prints "${program.prints}"`, { timeout: TSC_TIMEOUT_MS + RUN_TIMEOUT_MS + 10_000 }, async () => {
    const dir = path.join(tmp, path.basename(program.name, path.extname(program.name)))
    fs.mkdirSync(dir, { recursive: true })
    const ports = servers.map((s) => s.port)
    fs.writeFileSync(path.join(dir, program.name), pointAtServers(program.code, ports))
    for (const f of program.files) fs.writeFileSync(path.join(dir, f.name), f.code)

    let entry = program.name
    if (program.name.endsWith('.ts')) {
      assert.ok(program.files.some((f) => f.name === 'tsconfig.json'), `${program.where}: a TypeScript sample needs a <!-- file: tsconfig.json --> block before it`)
      assert.ok(fs.existsSync(tsc), `typescript is not installed (${tsc})`)
      const built = await run([tsc, '-p', dir, '--pretty', 'false'], dir, TSC_TIMEOUT_MS)
      assert.equal(built.code, 0, `tsc failed on ${program.name}:\n${built.stdout}${built.stderr}`)
      entry = program.name.replace(/\.ts$/, '.js')
      assert.ok(fs.existsSync(path.join(dir, entry)), `tsc emitted no ${entry} (does the tsconfig emit next to the source?)`)
    }

    const before = await connectionsReceived(servers)
    const r = await run([entry], dir, RUN_TIMEOUT_MS)
    const output = `exit ${r.code}${r.killed ? ` (killed after ${RUN_TIMEOUT_MS} ms: it did not exit)` : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`
    assert.equal(r.code, 0, output)
    assert.ok(r.stdout.split('\n').includes(program.prints), `expected the line "${program.prints}"\n${output}`)
    assert.equal(r.stderr, '', `the sample wrote to stderr\n${output}`)
    // It really used the test's servers (all three: every sample locks on all of them).
    const afterRun = await connectionsReceived(servers)
    afterRun.forEach((n, i) => assert.ok(n > before[i], `the sample never connected to test server ${i + 1} (port ${ports[i]})`))
  })
}

// ---------------------------------------------------------------------------------------------
// Links

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

function anchors(file) {
  const seen = new Map()
  const out = new Set()
  const text = fs.readFileSync(file, 'utf8').replace(/^(```|~~~)[\s\S]*?^\1/gm, '')
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const s = slug(m[1])
    const n = seen.get(s) ?? 0
    seen.set(s, n + 1)
    out.add(n ? `${s}-${n}` : s)
  }
  return out
}

test('relative links in README.md, SAFETY.md and docs/*.md resolve', () => {
  const docs = fs.existsSync(path.join(root, 'docs')) ? fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f)) : []
  const files = ['README.md', 'SAFETY.md', ...docs]
  const broken = []
  let checked = 0
  for (const rel of files) {
    const file = path.join(root, rel)
    const text = fs.readFileSync(file, 'utf8').replace(/^(```|~~~)[\s\S]*?^\1/gm, '')
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1]
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue // http:, https:, mailto:
      checked++
      const [target, anchor] = href.split('#')
      const dest = target ? path.resolve(path.dirname(file), target) : file
      if (!dest.startsWith(root) || !fs.existsSync(dest)) {
        broken.push(`${rel}: ${href} (no such file)`)
      } else if (anchor !== undefined && dest.endsWith('.md') && !anchors(dest).has(anchor)) {
        broken.push(`${rel}: ${href} (no heading #${anchor} in ${path.relative(root, dest)})`)
      }
    }
  }
  assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`)
  assert.ok(checked > 0, 'no relative links found')
})
