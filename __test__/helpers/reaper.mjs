// The guardian of one test process (started by helpers/redis.mjs with --guard): it holds the
// read end of a pipe from that process and, when the pipe closes — a normal exit, an uncaught
// exception, SIGKILL, SIGSEGV alike — kills what it was told to guard and removes their data
// directories. It runs in its own process group, so a Ctrl-C to the test's group does not take
// it down before it has done its job.
//
// Protocol (JSON lines on stdin): {"add":pid,"start":ticks,"group":bool,"dir":path|null} and
// {"del":pid}. A process is signalled only if it is still the one that was registered: the same
// pid with the same start time (field 22 of /proc/<pid>/stat), so a reused pid is never hit.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * The fields of /proc/<pid>/stat after the command name ([0] state, [2] process group, [19]
 * start time in clock ticks since boot), or null if there is no such process.
 */
export function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** Start time of `pid`, or null if there is no such process. */
export const startTime = (pid) => procStat(pid)?.[19] ?? null

const guarded = new Map() // pid -> { start, group, dir }

function reap() {
  for (const [pid, { start, group, dir }] of guarded) {
    const now = startTime(pid)
    // The leader gone but its group alive (a BGSAVE fork) is still ours: while a process group
    // exists, the kernel does not hand its id out as a new pid.
    const ours = now === start || (now === null && group)
    if (ours) {
      for (const sig of ['SIGCONT', 'SIGKILL']) {
        try {
          process.kill(group ? -pid : pid, sig)
        } catch {}
      }
    }
    // Only directories the helper made (mkdtemp under the temp dir, our prefix).
    if (dir && path.dirname(dir) === os.tmpdir() && path.basename(dir).startsWith('redlock-rs-')) {
      try {
        fs.rmSync(dir, { recursive: true, force: true })
      } catch {}
    }
  }
  guarded.clear()
}

function main() {
  let buf = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (d) => {
    buf += d
    const lines = buf.split('\n')
    buf = lines.pop()
    for (const line of lines) {
      let m
      try {
        m = JSON.parse(line)
      } catch {
        continue
      }
      if (Number.isInteger(m.add) && m.add > 1) guarded.set(m.add, { start: m.start, group: !!m.group, dir: m.dir || null })
      else if (Number.isInteger(m.del)) guarded.delete(m.del)
    }
  })
  const end = () => {
    reap()
    process.exit(0)
  }
  process.stdin.on('end', end)
  process.stdin.on('error', end)
  // Signals aimed at the guardian itself (not at the test): do the job before going.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, end)
}

// Imported for procStat(), or run as the guardian (`node reaper.mjs --guard`).
if (process.argv[2] === '--guard') main()
