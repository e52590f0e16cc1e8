// Public types of redlock-rs (hand-written; the generated native types are in binding.d.ts and
// are an implementation detail).
//
// One declaration file serves code written for node-redlock v5 (`import Redlock from 'redlock'`,
// named `Lock` / `ExecutionError` / `ResourceLockedError`, `Settings`, …), code written for
// node-redlock v4 against DefinitelyTyped's `@types/redlock` (`import Redlock = require(…)`,
// `Redlock.Lock` as a type, `err instanceof Redlock.LockError`, callbacks) and the original
// redlock-rs API (`IoredisClient`, `RedisJsClient`, `acquireLock` / `releaseLock`).
//
// Shape: `export = Redlock`, where `Redlock` is a class merged with a namespace. The namespace's
// classes are also static properties of the class (`Redlock.Lock`, `Redlock.LockError`, …),
// exactly as at run time (`module.exports = Redlock`, plus `.default`, `.Redlock`, `.Lock`,
// `.LockError`, `.ResourceLockedError`, `.ExecutionError`, `.IoredisClient`, `.RedisJsClient`).
// `static default` makes `import Redlock from 'redlock-rs'` work with esModuleInterop or
// allowSyntheticDefaultImports, under `module: nodenext` and under `moduleResolution: bundler`.
// The one setup it cannot serve: v5-style `import Redlock from …` used as a *type* with neither
// esModuleInterop nor allowSyntheticDefaultImports (write `import Redlock = require(…)` there).

/// <reference types="node" />
import { EventEmitter } from 'events'

// For `Lock[Symbol.asyncDispose]` under a `lib` or an @types/node older than the symbol (the
// same declaration TypeScript's esnext.disposable lib and @types/node make; they merge).
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol
  }
}

/**
 * The Redlock distributed lock over N independent Redis servers, with its engine in Rust. A
 * drop-in replacement for the `redlock` npm package, v5 and v4, and the original redlock-rs API.
 *
 * A lock is acquired when a quorum (`floor(N / 2) + 1`) of the servers granted it and some
 * validity is left: `validity = ttl − elapsed − (round(ttl × driftFactor) + 2)` ms. Failed
 * attempts are rolled back on every server before the next retry.
 *
 * Events: `'error'` (every per-server failure, including {@link Redlock.ResourceLockedError}
 * "held by another owner" votes; a no-op listener is installed, so it never crashes the process)
 * and `'clientError'` (server errors and timeouts only, as node-redlock v4, the rollbacks of failed
 * attempts included). Each vote's events are emitted once it is known: at the operation's
 * result for the servers that had answered by then, later for those that answer after it.
 *
 * @example node-redlock v5 style
 * ```ts
 * import Redlock from 'redlock-rs'
 * import Client from 'ioredis'
 *
 * const redlock = new Redlock([new Client({ host: 'a' }), new Client({ host: 'b' }), new Client({ host: 'c' })])
 * await redlock.using(['orders:42'], 5000, async (signal) => {
 *   // ... critical section ...
 *   if (signal.aborted) throw signal.error
 * })
 * ```
 *
 * @example the original redlock-rs API
 * ```ts
 * import Redlock, { IoredisClient } from 'redlock-rs'
 *
 * const redlock = new Redlock([
 *   new IoredisClient({ host: 'redis-a' }),
 *   new IoredisClient({ host: 'redis-b' }),
 *   new IoredisClient({ host: 'redis-c' }),
 * ])
 * if (await redlock.acquireLock('orders:42', 5000)) {
 *   try {
 *     // ... critical section, shorter than the TTL ...
 *   } finally {
 *     await redlock.releaseLock('orders:42', redlock.id)
 *   }
 * }
 * await redlock.quit()
 * ```
 */
declare class Redlock extends EventEmitter {
  /**
   * @param clients - One client per independent Redis server (at least one; an odd number such
   * as 3 or 5 is usual), as an array or any other iterable. Each may be an
   * {@link Redlock.IoredisClient}, a {@link Redlock.RedisJsClient}, an `ioredis` `Redis`
   * or `Cluster` instance, a node-redis v4 or v3 client (or a connected node-redis cluster), a
   * `redis://` / `rediss://` URL, an options object, or a mock such as `ioredis-mock` (see
   * {@link Redlock.Client}). For real `ioredis` / node-redis clients the connection settings
   * are read and redlock-rs opens its own connection with them (the default); a Redis Cluster
   * counts as one voter. Objects redlock-rs cannot or should not connect to itself — mocks and
   * any object with the command methods that is not positively a real client, unix-socket
   * clients, clients with a custom `Connector` or a `credentialsProvider` — run each command on
   * the object itself (the client backend; see {@link Redlock.Options.useClientObjects}). The
   * same object given twice counts once. Two clients that point at the same host, port and database are rejected with a
   * `RangeError`: they would be one failure domain voting twice.
   * @param settings - Overrides of the {@link Redlock.Settings | default settings} (v5), or v4
   * {@link Redlock.Options} (which may carry v4's custom scripts).
   * @param scripts - node-redlock v5's custom Lua scripts (see {@link Redlock.Scripts}).
   * @throws `TypeError` (code `ERR_INVALID_ARG_TYPE`) when `clients` is empty ("Redlock must be
   * instantiated with at least one redis client.") or holds something that is not a client, a
   * URL or an options object, for node-redis clusters that are not connected yet (unless
   * `useClientObjects`), when a setting is not a number, `useClientObjects` not a boolean, or when
   * a script is neither a string nor a function returning one; `RangeError` (code
   * `ERR_OUT_OF_RANGE`) when a setting is out of range or two clients point at the same
   * server.
   */
  constructor(clients: Iterable<Redlock.Client> & object, settings?: Redlock.Options | null, scripts?: Redlock.Scripts | null)

  /**
   * The `Redlock` class itself (`require('redlock-rs').default`): what `import Redlock from
   * 'redlock-rs'` binds when the importer is compiled without `esModuleInterop`.
   */
  static readonly default: typeof Redlock
  /** The `Redlock` class itself, for `const { Redlock } = require('redlock-rs')`. */
  static readonly Redlock: typeof Redlock

  /** The resolved settings: defaults merged with the constructor's overrides. Frozen. */
  readonly settings: Redlock.Settings
  /**
   * node-redlock v5's `redlock.scripts`: each script's text and SHA-1 — your custom script, or
   * node-redlock's default text where none was given (redlock-rs then runs its own equivalent
   * script). Frozen; not enumerable.
   */
  readonly scripts: {
    readonly acquireScript: { readonly value: string; readonly hash: string }
    readonly extendScript: { readonly value: string; readonly hash: string }
    readonly releaseScript: { readonly value: string; readonly hash: string }
  }
  /**
   * The clients this Redlock votes over — the objects given to the constructor, in order, with
   * duplicates of the same object removed — as a read-only `Set` (node-redlock v5 exposes a
   * `Set`; here `add`, `delete` and `clear` throw a `TypeError`).
   */
  readonly clients: ReadonlySet<Redlock.Client>
  /**
   * 32 lowercase hex characters (128 bits from the OS CSPRNG), made at construction: the
   * default lock id of {@link Redlock.acquireLock} and the value stored under the resource key.
   * (Locks of the v4/v5 API get a fresh random value each.)
   */
  readonly id: string
  /** The number of servers that must grant a lock: `floor(clients.size / 2) + 1`. */
  readonly quorum: number

  /** node-redlock v4 field: `settings.driftFactor`. Read-only. */
  readonly driftFactor: number
  /** node-redlock v4 field: `settings.retryCount`. Read-only. */
  readonly retryCount: number
  /** node-redlock v4 field: `settings.retryDelay`. Read-only. */
  readonly retryDelay: number
  /** node-redlock v4 field: `settings.retryJitter`. Read-only. */
  readonly retryJitter: number
  /** node-redlock v4 field: the clients, as given (duplicates removed). A frozen array. */
  readonly servers: ReadonlyArray<Redlock.Client>
  /** node-redlock v4 field: the acquire script in use (the caller's, else the default). */
  readonly lockScript: string
  /** node-redlock v4 field: the extend script in use. */
  readonly extendScript: string
  /** node-redlock v4 field: the release script in use. */
  readonly unlockScript: string

  /**
   * The per-server timeout (ms) used for a lock of this TTL: `settings.nodeTimeout` when set,
   * otherwise 5 % of the TTL, `clamp(floor(ttl / 20), 100, 1000)`.
   * @param ttl - A TTL in milliseconds (a positive safe integer).
   * @throws `TypeError` / `RangeError` "Duration must be an integer value in milliseconds."
   */
  nodeTimeoutFor(ttl: number): number

  // ---------------------------------------------------------------------------------------
  // node-redlock v5 API (listed first: these overloads win where v4 and v5 overlap)

  /**
   * node-redlock v5: acquires a lock on `resources` (all of them, atomically on each server) for
   * `duration` ms, retrying per `retryCount` with `retryDelay ± retryJitter` between attempts.
   * Every failed attempt is rolled back on every server before the next one. The returned lock
   * is never already expired: a quorum reached after the validity ran out counts as a failure.
   *
   * @param resources - The Redis keys to lock: a non-empty array of non-empty strings
   * (duplicates are removed).
   * @param duration - Time to live in milliseconds (a positive safe integer).
   * @param settings - Per-call overrides of the settings, and an optional `signal` to cancel.
   * @returns The {@link Redlock.Lock}. Rejects with an {@link Redlock.ExecutionError}
   * ("The operation was unable to achieve a quorum during its retry window.", with `reason`
   * `'held'`, `'unavailable'` or `'expired'`; "The operation was aborted." with `reason`
   * `'cancelled'` when `signal` aborted), or with a `TypeError` / `RangeError` for bad
   * arguments ("Duration must be an integer value in milliseconds." for a bad duration; a
   * `RangeError` naming the slots when the resources of a lock on a Redis Cluster member map to
   * different hash slots).
   */
  acquire(resources: string[], duration: number, settings?: Redlock.AcquireSettings): Promise<Redlock.Lock>

  /**
   * Acquires with a single attempt (no retries): the {@link Redlock.Lock}, or `null` when the
   * resource is held by another owner. (redlock-rs addition.)
   * @param resources - The Redis keys to lock (a non-empty array of strings).
   * @param duration - Time to live in milliseconds (a positive safe integer).
   * @param settings - Per-call overrides; `retryCount` is forced to 0.
   * @returns Rejects with an {@link Redlock.ExecutionError} when no verdict was possible
   * (servers unavailable, validity ran out, cancelled).
   */
  tryAcquire(resources: string[], duration: number, settings?: Redlock.AcquireSettings): Promise<Redlock.Lock | null>

  /**
   * Whether a quorum of the servers holds `resource` right now, by any owner (one read of its
   * TTL on every server; servers that fail or time out count as not holding it). A snapshot
   * only: the answer can be stale by the time it arrives, so never use it instead of acquiring.
   * (redlock-rs addition.)
   * @param resource - The Redis key (a non-empty string).
   * @returns Rejects with an `Error` naming the servers when fewer than a quorum answered.
   */
  isLocked(resource: string): Promise<boolean>

  /**
   * How many milliseconds remain until fewer than a quorum of the servers hold `resource` (by
   * any owner); `0` when no quorum holds it. A snapshot, like {@link Redlock.isLocked}.
   * (redlock-rs addition.)
   * @param resource - The Redis key (a non-empty string).
   * @returns Rejects with an `Error` naming the servers when fewer than a quorum answered.
   */
  remainingTtl(resource: string): Promise<number>

  /**
   * node-redlock v5: releases `lock` on every server where it still holds its value
   * (compare-and-delete) and sets `lock.expiration` to 0 at once. Resolves as soon as a quorum
   * confirmed, including when the lock has expired or was already released. A server where the
   * key holds another value (the lock was lost to another owner) counts against, and its key is
   * kept: a lost lock is never reported as released.
   * @param lock - A lock from this Redlock.
   * @param settings - Per-call overrides (`retryCount`, `retryDelay`, `nodeTimeout`, …).
   * @returns The {@link Redlock.ExecutionResult}. Rejects with an
   * {@link Redlock.ExecutionError}: reason `'held'` at once when the servers where another
   * owner holds the resource leave no quorum (`ResourceLockedError` votes), reason
   * `'unavailable'` when a quorum of the servers stayed unreachable through the retries (the lock
   * then expires on its own).
   */
  release(lock: Redlock.Lock, settings?: Redlock.SettingsOverrides): Promise<Redlock.ExecutionResult>

  /**
   * node-redlock v4: extends a lock made by a v4 entry point to `ttl` ms from now, **in place**:
   * resolves this same lock (`attempts` updated), in a Bluebird promise as in 4.2.0.
   * @param lock - A lock from {@link Redlock.lock}, {@link Redlock.lockWithOptions} or v4
   * {@link Redlock.acquire}.
   * @param ttl - The new time to live in milliseconds, from now (a positive safe integer).
   * @param settings - Per-call overrides, or a node-style callback `(err, lock)`.
   * @returns Rejects with {@link Redlock.LockError} (`Cannot extend lock on resource "…" because
   * the lock has already expired.`, `attempts` 0, or `Exceeded N attempts …`).
   */
  extend(
    lock: Redlock.LockV4,
    ttl: number,
    settings?: Redlock.SettingsOverrides | Redlock.Callback<Redlock.LockV4>,
  ): Redlock.BluebirdPromise<Redlock.LockV4>

  /**
   * Extends a valid lock to `duration` ms from now.
   *
   * node-redlock v5 semantics for locks made by the v5 API: resolves a **new** {@link Redlock.Lock}
   * and sets the old one's `expiration` to 0. Locks made by the v4 API (`lock`,
   * `lockWithOptions`, `acquire` with a string resource or a callback) are updated in place and
   * returned (v4 semantics), and reject with {@link Redlock.LockError}.
   *
   * @param lock - The lock to extend.
   * @param duration - The new time to live in milliseconds, from now (a positive safe integer).
   * @param settings - Per-call overrides.
   * @returns Rejects with {@link Redlock.ExecutionError} "Cannot extend an already-expired lock."
   * (reason `'expired'`, no attempts made) when the lock is expired, released or superseded, or
   * "The operation was unable to achieve a quorum during its retry window." otherwise.
   */
  extend(lock: Redlock.Lock, duration: number, settings?: Redlock.SettingsOverrides): Promise<Redlock.Lock>

  /**
   * node-redlock v5: runs `routine` while holding a lock on `resources`, extending the lock
   * automatically, and releases it afterwards; resolves what `routine` resolved.
   *
   * The lock is extended by native timers `automaticExtensionThreshold` ms before it expires,
   * independently of the JavaScript event loop, so a routine that blocks the loop keeps its lock.
   * If an extension fails, or a `maxHoldTime` / `maxExtensions` cap is reached and the lock
   * expires, `signal` is aborted and `signal.error` tells why (an {@link Redlock.ExecutionError},
   * reason `'expired'`). Reading `signal.aborted` checks the lock synchronously. The routine is
   * not interrupted: check `signal.aborted` before every step that needs exclusivity.
   *
   * A routine's own error is always the one rethrown; a release error that follows it is
   * emitted as an `'error'` event instead.
   *
   * @param resources - The Redis keys to lock (a non-empty array of strings).
   * @param duration - Time to live in milliseconds, also the length of each extension; at least
   * `automaticExtensionThreshold + 100`.
   * @param settings - Per-call overrides, `signal` (cancels the acquisition only), and the
   * optional `maxHoldTime` / `maxExtensions` caps.
   * @param routine - The critical section. It receives the lock's abort signal and, second
   * (redlock-rs addition), the Lock as acquired — for its {@link Redlock.Lock.fencingToken}
   * with `fencing: true`; automatic extensions keep that token.
   * @returns Rejects with "A lock `duration` must be at least 100ms greater than the
   * `automaticExtensionThreshold` setting." for a too-short duration, with the acquisition's
   * {@link Redlock.ExecutionError}, with the routine's error, or with the release's error.
   */
  using<T>(
    resources: string[],
    duration: number,
    settings: Redlock.UsingSettings,
    routine: (signal: Redlock.RedlockAbortSignal, lock: Redlock.Lock) => Promise<T>,
  ): Promise<T>
  /**
   * node-redlock v5: `using(resources, duration, routine)` with the instance's settings. See
   * the four-argument overload.
   * @param resources - The Redis keys to lock (a non-empty array of strings).
   * @param duration - Time to live in milliseconds, also the length of each extension.
   * @param routine - The critical section. It receives the lock's abort signal and the Lock.
   */
  using<T>(
    resources: string[],
    duration: number,
    routine: (signal: Redlock.RedlockAbortSignal, lock: Redlock.Lock) => Promise<T>,
  ): Promise<T>

  /**
   * Closes redlock-rs's own connections — once the node work still running has finished (the
   * rollback of a failed attempt on a slow server, a late reply), at most 1 s — then calls
   * `quit()` on the `ioredis` / node-redis client objects that were given (as node-redlock
   * does). Locks are not released.
   * @returns The clients' results, one per client, as node-redlock 4.2.0 resolves them
   * (`undefined` for redlock-rs's own clients and URLs); see {@link Redlock.QuitResults} for
   * why the type also says `void`. A native Promise — or, once this Redlock has served a v4
   * entry point (`lock`, `unlock`, …), a Bluebird promise as in 4.2.0 (its extra methods are not
   * in this type; a call with a callback is typed with them).
   */
  quit(): Promise<Redlock.QuitResults>
  /**
   * node-redlock v4: {@link Redlock.quit} with a node-style callback `(err, results)`, called
   * once done; a Bluebird promise.
   * @param callback - Node-style callback `(err, results)`.
   */
  quit(callback: Redlock.Callback<Redlock.QuitResults>): Redlock.BluebirdPromise<Redlock.QuitResults>

  // ---------------------------------------------------------------------------------------
  // node-redlock v4 API

  /**
   * node-redlock v4 (alias of {@link Redlock.lock}): locks `resource` for `ttl` ms. Used when
   * `resource` is a string or a callback is given; `acquire(array, ttl)` without a callback
   * takes the v5 path (same lock, but {@link Redlock.ExecutionError} on failure and a new
   * Lock from `extend`).
   * @param resource - One resource or an array of resources.
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param callback - Optional node-style callback `(err, lock)`.
   * @returns Rejects with {@link Redlock.LockError} (`attempts`: attempts made) when the lock
   * could not be acquired.
   */
  acquire(resource: string | string[], ttl: number, callback?: Redlock.Callback<Redlock.LockV4>): Redlock.BluebirdPromise<Redlock.LockV4>

  /**
   * node-redlock v4: locks `resource` for `ttl` ms, retrying per the instance's settings.
   * @param resource - One resource or an array of resources (non-empty strings).
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param callback - Optional node-style callback `(err, lock)`.
   * @returns A Bluebird promise (as in 4.2.0) of the lock (extended in place by `extend`;
   * `attempts` is a number). Rejects with {@link Redlock.LockError}
   * `Exceeded N attempts to lock the resource "…".` (`attempts`: attempts made, plus `reason`
   * and `detail`).
   */
  lock(resource: string | string[], ttl: number, callback?: Redlock.Callback<Redlock.LockV4>): Redlock.BluebirdPromise<Redlock.LockV4>

  /**
   * node-redlock v4.2: {@link Redlock.lock} with per-call settings. Unlike v4, a per-call
   * `retryCount: 0` is honoured (v4 read it with `||` and fell back to the instance's value),
   * and every setting may be overridden, not only `retryCount` and `retryDelay`.
   * @param resource - One resource or an array of resources.
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param options - Per-call overrides.
   * @param callback - Optional node-style callback `(err, lock)`.
   */
  lockWithOptions(
    resource: string | string[],
    ttl: number,
    options: Redlock.SettingsOverrides,
    callback?: Redlock.Callback<Redlock.LockV4>,
  ): Redlock.BluebirdPromise<Redlock.LockV4>

  /**
   * node-redlock v4.2 alias of {@link Redlock.lockWithOptions}.
   * @param resource - One resource or an array of resources.
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param options - Per-call overrides.
   * @param callback - Optional node-style callback `(err, lock)`.
   */
  acquireWithOptions(
    resource: string | string[],
    ttl: number,
    options: Redlock.SettingsOverrides,
    callback?: Redlock.Callback<Redlock.LockV4>,
  ): Redlock.BluebirdPromise<Redlock.LockV4>

  /**
   * node-redlock v4: releases `lock` (compare-and-delete on every server) and sets
   * `lock.expiration` to 0 at once. Resolves `undefined` once a quorum of servers deleted every
   * key of it.
   * @param lock - The lock to release.
   * @param callback - Optional node-style callback `(err)`.
   * @returns A Bluebird promise, as in 4.2.0. Rejects with {@link Redlock.LockError} `Unable to
   * fully release the lock on resource "…".` as 4.2.0 does: at once when the lock expired, was released already or was
   * lost to another owner on too many servers (v4 code learns so that its lock ran out during
   * the critical section), or when a quorum of the servers stayed unreachable.
   */
  unlock(lock: Redlock.Lock, callback?: Redlock.Callback<void>): Redlock.BluebirdPromise<void>

  /**
   * node-redlock v4: `release(lock, callback)` is {@link Redlock.unlock} (resolves `undefined`,
   * rejects with {@link Redlock.LockError}).
   * @param lock - The lock to release.
   * @param callback - Node-style callback `(err)`.
   */
  release(lock: Redlock.Lock, callback: Redlock.Callback<void>): Redlock.BluebirdPromise<void>

  /**
   * node-redlock v4: extends `lock` to `ttl` ms from now and calls `callback(err, lock)`; a
   * Bluebird promise. See the v5 overload for which locks are updated in place.
   * @param lock - The lock to extend.
   * @param ttl - The new time to live in milliseconds, from now.
   * @param callback - Node-style callback `(err, lock)`.
   */
  extend(lock: Redlock.Lock, ttl: number, callback: Redlock.Callback<Redlock.Lock>): Redlock.BluebirdPromise<Redlock.Lock>

  /**
   * node-redlock v4: locks `resource` and returns a Bluebird disposer for `Promise.using`, which
   * unlocks the lock when the `using` block ends.
   * @param resource - One resource or an array of resources.
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param unlockErrorHandler - Called with the error if the final unlock fails (otherwise such
   * errors are ignored).
   * @throws `Error` synchronously when `bluebird` (a dependency) is missing from the install.
   */
  disposer(resource: string | string[], ttl: number, unlockErrorHandler?: (error: any) => void): Redlock.Disposer<Redlock.LockV4>

  // ---------------------------------------------------------------------------------------
  // Events

  /**
   * `'error'`: every per-server failure of an operation, once per server and attempt — a
   * {@link Redlock.ResourceLockedError} when a server voted "held by another owner" (or
   * "nothing to release"), an `Error` when it failed or timed out (see
   * {@link Redlock.ExecutionStats.votesAgainst} for its message and `node`), a failed rollback
   * after a failed attempt (as v5's release after a failed acquire) — and a release error
   * that followed a failed `using()` routine. Emitted when the vote is known (at the operation's
   * result, or later for a server that answers after the verdict); a no-op listener is always
   * installed, so an unhandled `'error'` event never crashes the process.
   */
  on(event: 'error', listener: (error: Error) => void): this
  /**
   * `'clientError'` (node-redlock v4): a server failed or timed out during an operation (not
   * emitted for "held" votes), once per server and attempt, and once more when the rollback after
   * a failed attempt failed on it (4.2.0 reports the errors of that unlock too; every
   * `'clientError'` is an `'error'` too). The rollback errors of a failed operation are emitted
   * before it rejects.
   */
  on(event: 'clientError', listener: (error: Error) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  /** See {@link Redlock.on}. */
  once(event: 'error' | 'clientError', listener: (error: Error) => void): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
  /** See {@link Redlock.on}. */
  addListener(event: 'error' | 'clientError', listener: (error: Error) => void): this
  addListener(event: string | symbol, listener: (...args: any[]) => void): this
  /** See {@link Redlock.on}. */
  off(event: 'error' | 'clientError', listener: (error: Error) => void): this
  off(event: string | symbol, listener: (...args: any[]) => void): this
  /** See {@link Redlock.on}. */
  removeListener(event: 'error' | 'clientError', listener: (error: Error) => void): this
  removeListener(event: string | symbol, listener: (...args: any[]) => void): this

  // ---------------------------------------------------------------------------------------
  // The original redlock-rs API

  /**
   * Tries to lock `resource` for `ttl` ms on a quorum of the servers, retrying per
   * {@link Redlock.Settings.retryCount | retryCount} with `retryDelay ± retryJitter` between
   * attempts. Each failed attempt is rolled back on every server before the next one.
   *
   * Not re-entrant: while this object holds `resource` under `lockId`, a second call with the
   * same pair resolves `false` at once, without any Redis traffic. One lock id names one
   * holder; using the same explicit `lockId` from two places at once is unsupported.
   *
   * @param resource - The Redis key to lock (a non-empty string).
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param lockId - The value stored under the key; defaults to {@link Redlock.id}.
   * @returns `true` iff a quorum granted the lock with validity left; `false` when another owner
   * holds it (after the retries), or this object already holds it under `lockId`.
   * Rejects with an `Error` naming the failing servers by index and `host:port` when servers
   * were unreachable or erroring so that no quorum was possible, or when the validity ran out
   * during every attempt (a TTL too short for the latency).
   * @throws `TypeError` / `RangeError` synchronously on bad arguments (a bad TTL gives
   * "Duration must be an integer value in milliseconds.").
   */
  acquireLock(resource: string, ttl: number, lockId?: string): Promise<boolean>

  /**
   * {@link Redlock.acquireLock} with a fencing token (docs/fencing.md): the lock is acquired
   * as by `acquireLock`, plus one write-back round. (redlock-rs addition.)
   * @param resource - The Redis key to lock (a non-empty string).
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param lockId - The value stored under the key; defaults to {@link Redlock.id}.
   * @returns The token (a safe integer ≥ 1, greater than every earlier token of `resource`)
   * where `acquireLock` answers `true`; `false` where it answers `false`. Rejects as
   * `acquireLock` does.
   * @throws `TypeError` synchronously with custom scripts; `RangeError` on a Redis Cluster for
   * a resource whose fencing counter cannot share its hash slot; as `acquireLock` on bad
   * arguments.
   */
  acquireFencedLock(resource: string, ttl: number, lockId?: string): Promise<number | false>

  /**
   * Deletes `resource` on every server where it holds `lockId` (compare-and-delete); a wrong
   * id deletes nothing. Resolves once a quorum of servers confirmed (deleted, or nothing of
   * `lockId` and no other owner's key there), so it resolves promptly when the lock expired.
   *
   * @param resource - The locked Redis key.
   * @param lockId - The lock id it was acquired with (usually {@link Redlock.id}). Required.
   * @returns Rejects with an `Error` ("… locked by another owner") at once when another owner
   * holds `resource` on too many servers for a quorum (the lock was lost, or `lockId` is not
   * the owner's), and when a quorum of the servers stayed unreachable through the retries.
   * @throws `TypeError` / `RangeError` synchronously on bad arguments.
   */
  releaseLock(resource: string, lockId: string): Promise<void>

  private readonly __redlockRsRedlock: unknown
}

/**
 * One Redis server, configured like `ioredis`: `new IoredisClient(options?)`,
 * `new IoredisClient(port, host?, options?)`, `new IoredisClient(port, options?)` or
 * `new IoredisClient(url, options?)`. Explicit options override the URL's parts.
 *
 * The connection opens lazily on first use (or with {@link IoredisClient.connect}) and
 * reconnects automatically. On its own, a client locks its one server with a single attempt.
 *
 * @example
 * ```ts
 * const a = new IoredisClient({ host: '10.0.0.1', port: 6379, password: 'secret' })
 * const b = new IoredisClient(6380, '10.0.0.2')
 * const c = new IoredisClient('rediss://:secret@10.0.0.3:6379/0')
 * ```
 */
declare class IoredisClient {
  /**
   * @param options - Connection options; all optional (default `127.0.0.1:6379`, db 0).
   * @throws `TypeError` / `RangeError` (codes `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`)
   * when an option has the wrong type or range.
   */
  constructor(options?: Redlock.IoredisClientOptions)
  /**
   * @param port - The server's port (an integer in [1, 65535]).
   * @param host - The server's host name or IP address (default `127.0.0.1`).
   * @param options - Further options; `port` and `host` given as arguments win.
   */
  constructor(port: number, host?: string, options?: Redlock.IoredisClientOptions)
  /**
   * @param port - The server's port (an integer in [1, 65535]).
   * @param options - Further options; the `port` argument wins.
   */
  constructor(port: number, options?: Redlock.IoredisClientOptions)
  /**
   * @param url - `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS.
   * @param options - Further options; they override the URL's parts.
   */
  constructor(url: string, options?: Redlock.IoredisClientOptions)

  /** The server's host. */
  readonly host: string
  /** The server's port. */
  readonly port: number
  /**
   * 32 lowercase hex characters (128 bits from the OS CSPRNG), made at construction: the
   * default lock id of {@link IoredisClient.acquireLock}.
   */
  readonly id: string

  /**
   * Connects now instead of on first use.
   * @returns Rejects with an `Error` naming `host:port` when the server is unreachable within
   * `connectTimeout`.
   */
  connect(): Promise<void>
  /** Closes the connection. Later calls on this client reject. Locks are not released. */
  quit(): Promise<void>
  /**
   * One attempt to lock `resource` on this one server (no retries).
   * @param resource - The Redis key to lock (a non-empty string).
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param lockId - The value stored under the key; defaults to {@link IoredisClient.id}.
   * @returns `true` iff granted; `false` when held by another owner or already held by this
   * client under `lockId`. Rejects with an `Error` when the server is unreachable or erroring.
   * @throws `TypeError` / `RangeError` synchronously on bad arguments.
   */
  acquireLock(resource: string, ttl: number, lockId?: string): Promise<boolean>
  /**
   * Deletes `resource` if it holds `lockId`; a wrong id deletes nothing.
   * @param resource - The locked Redis key.
   * @param lockId - The lock id it was acquired with. Required.
   * @returns Resolves also when the key is gone. Rejects with an `Error` when the server is
   * unreachable, or ("… locked by another owner") when the key holds another value.
   * @throws `TypeError` / `RangeError` synchronously on bad arguments.
   */
  releaseLock(resource: string, lockId: string): Promise<void>

  private readonly __redlockRsIoredisClient: unknown
}

/**
 * One Redis server, configured like node-redis `createClient`:
 * `new RedisJsClient({ url, username, password, database, socket })`. Explicit options
 * override the URL's parts.
 *
 * The connection opens lazily on first use (or with {@link RedisJsClient.connect}) and
 * reconnects automatically. On its own, a client locks its one server with a single attempt.
 *
 * @example
 * ```ts
 * const a = new RedisJsClient({ url: 'redis://:secret@10.0.0.1:6379' })
 * const b = new RedisJsClient({ socket: { host: '10.0.0.2', port: 6380, tls: true } })
 * ```
 */
declare class RedisJsClient {
  /**
   * @param options - Connection options; all optional (default `redis://127.0.0.1:6379`).
   * @throws `TypeError` / `RangeError` (codes `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`)
   * when an option has the wrong type or range.
   */
  constructor(options?: Redlock.RedisJsClientOptions)

  /** The connection URL, with any password replaced by `***`. */
  readonly url: string
  /** The server's host. */
  readonly host: string
  /** The server's port. */
  readonly port: number
  /**
   * 32 lowercase hex characters (128 bits from the OS CSPRNG), made at construction: the
   * default lock id of {@link RedisJsClient.acquireLock}.
   */
  readonly id: string

  /**
   * Connects now instead of on first use.
   * @returns Rejects with an `Error` naming `host:port` when the server is unreachable within
   * `socket.connectTimeout`.
   */
  connect(): Promise<void>
  /** Closes the connection. Later calls on this client reject. Locks are not released. */
  quit(): Promise<void>
  /**
   * One attempt to lock `resource` on this one server (no retries).
   * @param resource - The Redis key to lock (a non-empty string).
   * @param ttl - Time to live in milliseconds (a positive safe integer).
   * @param lockId - The value stored under the key; defaults to {@link RedisJsClient.id}.
   * @returns `true` iff granted; `false` when held by another owner or already held by this
   * client under `lockId`. Rejects with an `Error` when the server is unreachable or erroring.
   * @throws `TypeError` / `RangeError` synchronously on bad arguments.
   */
  acquireLock(resource: string, ttl: number, lockId?: string): Promise<boolean>
  /**
   * Deletes `resource` if it holds `lockId`; a wrong id deletes nothing.
   * @param resource - The locked Redis key.
   * @param lockId - The lock id it was acquired with. Required.
   * @returns Resolves also when the key is gone. Rejects with an `Error` when the server is
   * unreachable, or ("… locked by another owner") when the key holds another value.
   * @throws `TypeError` / `RangeError` synchronously on bad arguments.
   */
  releaseLock(resource: string, lockId: string): Promise<void>

  private readonly __redlockRsRedisJsClient: unknown
}

declare namespace Redlock {
  export { IoredisClient, RedisJsClient }

  // ---------------------------------------------------------------------------------------
  // Locks and errors (also static properties: `Redlock.Lock`, `Redlock.LockError`, …)

  /**
   * A lock held on a quorum of the servers: node-redlock v5's `Lock`, with the members of v4's
   * too (`resource`, `unlock`, callbacks). Made by {@link Redlock.acquire}, {@link Redlock.lock}
   * and friends; the public constructor exists for node-redlock compatibility.
   */
  export class Lock {
    /**
     * node-redlock v5's constructor (v4's `(redlock, resource, value, expiration, attempts)`
     * order is not supported).
     * @param redlock - The Redlock the lock belongs to.
     * @param resources - The locked keys.
     * @param value - The random value stored under the keys.
     * @param attempts - The execution statistics of the attempts.
     * @param expiration - `Date.now()`-based time at which the lock's validity ends.
     */
    constructor(
      redlock: Redlock,
      resources: string[],
      value: string,
      attempts: ReadonlyArray<Promise<ExecutionStats>>,
      expiration: number,
    )
    /** The Redlock the lock belongs to. */
    readonly redlock: Redlock
    /** The locked keys (duplicates removed). */
    readonly resources: string[]
    /** The random value stored under the keys (32 hex characters): the lock's identity. */
    readonly value: string
    /**
     * Per-attempt statistics of the acquisition. With `retryCount: -1` only the last attempt
     * is kept. **For a lock from a v4 entry point** (`lock`, `lockWithOptions`, v4 `acquire`)
     * it is, as in node-redlock 4.2.0, the number of attempts of its acquisition or latest
     * extension: those locks are typed {@link LockV4}.
     */
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>
    /**
     * `Date.now()`-based time (ms) at which the lock's validity ends — already reduced by the
     * elapsed time and the clock drift allowance. `0` once released, or (v5 API) once
     * superseded by an extension. A failed extend to a shorter duration lowers it to the
     * earliest end that extend may have set on some servers.
     */
    expiration: number
    /**
     * The lock's fencing token, when it was acquired with `fencing: true`: a safe integer
     * ≥ 1, greater than the token of every lock of any of its resources granted before it
     * (under the assumptions of docs/fencing.md). Hand it to the protected resource with every
     * write; the resource refuses a token not greater than the last one it accepted. Kept by
     * `extend` (the extended Lock carries the same token). `undefined` (no such property)
     * without fencing. (redlock-rs addition.)
     */
    fencingToken?: number
    /**
     * node-redlock v4 name of {@link Lock.resources}. Always an array at run time (as in
     * node-redlock 4.2.0); typed `string | string[]` for code written against `@types/redlock`.
     * Writable, as in 4.2.0: a string or an array; later operations act on it.
     */
    resource: string | string[]
    /**
     * v4: `retryCount − attempts` when a v4 entry point (`lock`, `lockWithOptions`, v4
     * `acquire`) took the lock, as node-redlock 4.2.0 computes it (`Infinity` with
     * `retryCount: -1`); `undefined` for v5 locks.
     */
    attemptsRemaining?: number
    /** node-redlock v5: {@link Redlock.release | redlock.release(this)}. */
    release(): Promise<ExecutionResult>
    /**
     * {@link Redlock.extend | redlock.extend(this, duration)}: a new Lock for locks of the v5
     * API, this same Lock updated for locks of the v4 API ({@link LockV4}).
     * @param duration - The new time to live in milliseconds, from now.
     */
    extend(duration: number): Promise<Lock>
    /**
     * node-redlock v4: {@link Redlock.extend | redlock.extend(this, duration, callback)}; a
     * Bluebird promise.
     * @param duration - The new time to live in milliseconds, from now.
     * @param callback - Node-style callback `(err, lock)`.
     */
    extend(duration: number, callback: Callback<Lock>): BluebirdPromise<Lock>
    /**
     * node-redlock v4: {@link Redlock.unlock | redlock.unlock(this)}; a Bluebird promise of
     * `undefined`.
     * @param callback - Optional node-style callback `(err)`.
     */
    unlock(callback?: Callback<void>): BluebirdPromise<void>
    /**
     * Explicit resource management (TypeScript ≥ 5.2): `await using lock = await
     * redlock.acquire(…)` releases the lock when the block ends, however it ends. Uses the v5
     * release for every lock, so a lock already released or expired does not throw here; a
     * release that fails (no quorum reached) rejects, and TypeScript reports it (as a
     * `SuppressedError` when the block threw too).
     */
    [Symbol.asyncDispose](): Promise<void>
  }

  /**
   * node-redlock v4's `attempts` of a lock: a `number` at run time. The array part of the type
   * is not there at run time; it only keeps a {@link LockV4} usable where v4 code names the type
   * `Lock` (`(lock: Lock) => …`, as written against `@types/redlock`).
   */
  export type AttemptCount = number & ReadonlyArray<Promise<ExecutionStats>>

  /**
   * A lock made by a node-redlock v4 entry point ({@link Redlock.lock},
   * {@link Redlock.lockWithOptions}, v4 {@link Redlock.acquire}, {@link Redlock.disposer}): as in
   * 4.2.0, `attempts` is the number of attempts of its acquisition or latest extension, it is
   * extended in place, and its operations return Bluebird promises and reject with
   * {@link LockError}.
   */
  export interface LockV4 extends Lock {
    /** The number of attempts of the acquisition or of the latest extension (as in 4.2.0). */
    readonly attempts: AttemptCount
    /** `retryCount − attempts`, as node-redlock 4.2.0 computes it (`Infinity` with `retryCount: -1`). */
    attemptsRemaining: number
    /**
     * Extends this lock in place to `duration` ms from now; resolves this same lock.
     * @param duration - The new time to live in milliseconds, from now.
     * @param callback - Optional node-style callback `(err, lock)`.
     */
    extend(duration: number, callback?: Callback<LockV4>): BluebirdPromise<LockV4>
  }

  /**
   * The Bluebird promise (bluebird 3) that node-redlock 4.2.0's methods return and that the v4
   * entry points of redlock-rs return too: a `Promise` with the Bluebird methods v4 code
   * commonly calls. Every Bluebird method is there at run time; for the types of others, wrap
   * the promise (`Bluebird.resolve(p)`) with `@types/bluebird` installed.
   */
  export interface BluebirdPromise<T> extends Promise<T> {
    then<R1 = T, R2 = never>(
      onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
      onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
    ): BluebirdPromise<R1 | R2>
    catch<U = never>(onrejected?: ((reason: any) => U | PromiseLike<U>) | null): BluebirdPromise<T | U>
    /** Bluebird's filtered catch: only errors that are `instanceof` the class (`.catch(Redlock.LockError, …)`). */
    catch<E, U = never>(filter: new (...args: any[]) => E, onrejected: (error: E) => U | PromiseLike<U>): BluebirdPromise<T | U>
    /** Bluebird's filtered catch with a predicate function. */
    catch<U = never>(filter: (error: any) => boolean, onrejected: (error: any) => U | PromiseLike<U>): BluebirdPromise<T | U>
    finally(onfinally?: (() => void) | null): BluebirdPromise<T>
    /** Like `then`, but an error that reaches it (or is thrown by a handler) is thrown as an uncaught exception. */
    done<R1, R2>(onfulfilled?: (value: T) => R1 | PromiseLike<R1>, onrejected?: (error: any) => R2 | PromiseLike<R2>): void
    /** Calls a node-style `callback(err, value)` when settled; returns this promise. */
    nodeify(callback?: Callback<T>, options?: { spread?: boolean }): this
    /** Bluebird's name of {@link BluebirdPromise.nodeify}. */
    asCallback(callback?: Callback<T>, options?: { spread?: boolean }): this
    /** Rejects with Bluebird's `TimeoutError` (or `message`) when not settled within `ms`. */
    timeout(ms: number, message?: string | Error): BluebirdPromise<T>
    /** Runs `onFulfill` for its side effect, keeping the value. */
    tap<U>(onFulfill: (value: T) => U | PromiseLike<U>): BluebirdPromise<T>
    /** Runs `onReject` for its side effect on a rejection, keeping the rejection. */
    tapCatch<U>(onReject: (error: any) => U | PromiseLike<U>): BluebirdPromise<T>
    /** Resolves the same value `ms` later. */
    delay(ms: number): BluebirdPromise<T>
    /** Resolves `value` instead (after this promise fulfilled). */
    return<U>(value: U): BluebirdPromise<U>
    /** Bluebird's name of {@link BluebirdPromise.return}. */
    thenReturn<U>(value: U): BluebirdPromise<U>
    isFulfilled(): boolean
    isRejected(): boolean
    isPending(): boolean
  }

  /**
   * What {@link Redlock.quit} resolves: the clients' `quit()` results, one per client, as
   * node-redlock 4.2.0 resolves them (`undefined` for redlock-rs's own clients and URLs). Also
   * typed `void`, so code that declares `Promise<void>` for it (as node-redlock v5 and
   * `@types/redlock` type `quit()`) keeps compiling.
   */
  export type QuitResults = void & ReadonlyArray<unknown>

  /** Why an operation failed (redlock-rs addition to the error classes). */
  export type FailureReason =
    /** The resource is held by another owner (no quorum was possible without it). */
    | 'held'
    /** Servers were unreachable, erroring or timing out, so no verdict could be reached. */
    | 'unavailable'
    /**
     * The lock's validity ran out (a quorum came too late for the TTL), or the lock to extend
     * had expired, or a `using()` lock was lost.
     */
    | 'expired'
    /** The `signal` given to `acquire` aborted. */
    | 'cancelled'

  /** The `reason` / `detail` pair carried by {@link ExecutionError} and {@link LockError}. */
  export interface FailureDetails {
    /** Why the operation failed. */
    reason?: FailureReason
    /** A human-readable explanation naming the failing servers by index and `host:port`. */
    detail?: string
  }

  /**
   * node-redlock v5: an operation failed within its retry window. Messages are node-redlock's:
   * "The operation was unable to achieve a quorum during its retry window." or "Cannot extend
   * an already-expired lock."; redlock-rs adds "The operation was aborted." (cancelled).
   */
  export class ExecutionError extends Error {
    /**
     * @param message - The error message.
     * @param attempts - Per-attempt statistics.
     * @param details - `reason` and `detail` (redlock-rs).
     */
    constructor(message: string, attempts: ReadonlyArray<Promise<ExecutionStats>>, details?: FailureDetails)
    readonly name: 'ExecutionError'
    /**
     * Per-attempt statistics (empty when no attempt was made). Not enumerable, so
     * `util.inspect(error)` and loggers never dump the client objects it references. With
     * `retryCount: -1` only the last attempt is kept.
     */
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>
    /** Why the operation failed (redlock-rs). */
    readonly reason?: FailureReason
    /** Why, naming the failing servers by index and `host:port` (redlock-rs). */
    readonly detail?: string
    /** For a cancelled `acquire`: the signal's `reason`. */
    cause?: unknown
  }

  /**
   * node-redlock v5: one server's "no" vote — the resource is held by another owner (for a
   * release: nothing of this lock was left to delete). Found in
   * {@link ExecutionStats.votesAgainst} and emitted as an `'error'` event; never thrown.
   */
  export class ResourceLockedError extends Error {
    /** @param message - "The operation was applied to: 0 of the N requested resources." */
    constructor(message: string)
    readonly name: 'ResourceLockedError'
  }

  /**
   * node-redlock v4: the error of the v4 entry points (`lock`, `lockWithOptions`, `unlock`,
   * `release(lock, callback)`, `acquire` with a string or a callback) and of extending locks
   * they made. Messages are v4's: `Exceeded N attempts to lock the resource "…".`,
   * `Cannot extend lock on resource "…" because the lock has already expired.`,
   * `Unable to fully release the lock on resource "…".`
   */
  export class LockError extends Error {
    /**
     * @param message - The error message.
     * @param attempts - The number of attempts made.
     * @param details - `reason` and `detail` (redlock-rs).
     */
    constructor(message?: string, attempts?: number, details?: FailureDetails)
    readonly name: 'LockError'
    /** The number of attempts made (0 when none was, e.g. extending an expired lock). */
    attempts: number
    /** Why the operation failed (redlock-rs). */
    reason?: FailureReason
    /** Why, naming the failing servers by index and `host:port` (redlock-rs). */
    detail?: string
    /** For a cancelled acquisition: the signal's `reason`. */
    cause?: unknown
  }

  /**
   * node-redlock v5: the votes of one attempt, keyed by the caller's client objects (the
   * entries given to the constructor: client objects, URL strings or option objects; a URL or
   * plain options object is keyed by its redacted URL). The operation settles as soon as a
   * quorum agrees; its `attempts[i]` Promise resolves once **every** server has voted or hit its
   * per-node timeout, so `votesFor` and `votesAgainst` together cover all `membershipSize`
   * clients. It never keeps the process alive longer than that per-node timeout.
   */
  export interface ExecutionStats {
    /** The number of clients. */
    readonly membershipSize: number
    /** The quorum: `floor(membershipSize / 2) + 1`. */
    readonly quorumSize: number
    /** Clients whose server applied the operation. */
    readonly votesFor: Set<Client>
    /**
     * Clients whose server refused (a {@link ResourceLockedError}), failed or timed out, or
     * granted while quarantined by the restart guard (a {@link NodeError}).
     */
    readonly votesAgainst: Map<Client, Error>
  }

  /**
   * One server's failure or timeout, in {@link ExecutionStats.votesAgainst} and the `'error'` /
   * `'clientError'` events. Where the constructor's entry was an ioredis, node-redis (v4 and
   * later) or node-redis v3 client object, a lost or refused connection and a timeout read as
   * that client would say them — ioredis: `Connection is closed.`, `Command timed out`;
   * node-redis: `The client is closed`; node-redis v3: `Redis connection in broken state: retry
   * aborted.` (refused), `Redis connection lost and command aborted.` (lost) — so code matching
   * on them keeps working. Everything else (a server's error; a timeout for node-redis, which
   * has no such error), and every failure of a URL string, an options object or an
   * {@link IoredisClient} / {@link RedisJsClient} entry, reads
   * `node <i> (<host:port>) <what happened>`.
   */
  export interface NodeError extends Error {
    /**
     * `'quarantined'` when the server granted but the restart guard did not count it
     * ({@link Settings.restartGuard}); the message says why and how long remains.
     */
    readonly reason?: 'quarantined'
    readonly node: {
      /** The entry's index in the constructor's list. */
      readonly index: number
      /** `host:port`, never credentials. */
      readonly address: string
      /** What happened, in redlock-rs's words (no secrets). */
      readonly detail: string
    }
  }

  /** node-redlock v5: what {@link Redlock.release} resolves. */
  export interface ExecutionResult {
    /** Per-attempt statistics. */
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>
    /** `Date.now()` when the operation started. */
    readonly start: number
  }

  /**
   * node-redlock v5's per-client result type. Kept for compile compatibility; redlock-rs never
   * produces it (see {@link ExecutionStats}).
   */
  export type ClientExecutionResult =
    | { client: Client; vote: 'for'; value: number }
    | { client: Client; vote: 'against'; error: Error }

  /**
   * The signal a {@link Redlock.using} routine receives: aborted when the lock is lost, with
   * `error` (also `reason`) saying why. `aborted` is checked synchronously against the lock's
   * native state.
   */
  export type RedlockAbortSignal = AbortSignal & { error?: Error }

  /**
   * A node-style callback of the v4 API: called `(null, value)` on success and `(error)` on
   * failure. `value` is typed `T` (as Node's own callback types do), so callbacks written either
   * as `(err, lock: Lock) => …` or as `(err, lock?: Lock) => …` compile.
   */
  export type Callback<T> = (err: any, value: T) => void

  /**
   * A Bluebird disposer (`Bluebird.Disposer<R>` from `bluebird`) for `Promise.using`, as made by
   * {@link Redlock.disposer}.
   */
  export interface Disposer<R> {
    /** Phantom member carrying `R`; absent at run time. */
    readonly __redlockRsDisposerOf?: (resource: R) => void
  }

  // ---------------------------------------------------------------------------------------
  // Clients

  /**
   * An `ioredis` `Redis` or `Cluster` instance, described structurally (the `ioredis` types are
   * not needed). Its connection settings (`host`, `port`, `username`, `password`, `db`, `tls`
   * with `ca`, `cert`, `key`, `rejectUnauthorized`, `connectTimeout`, `keyPrefix`; for a
   * `Cluster`, its startup nodes and `redisOptions`) are read and redlock-rs opens its own
   * connection with them. A Cluster is one voter; a multi-resource lock on it must map to one
   * hash slot (use a `{hash tag}`). With `sentinels`, the master named `name` is looked up
   * through them (one voter). Unix-socket (`path`) clients and clients with a custom
   * `Connector` run their commands on the object itself (the client backend).
   */
  export interface IoredisLike {
    /** ioredis' `RedisOptions`. */
    readonly options: object
    /** ioredis' connection status. */
    readonly status: string
    /** ioredis' `evalsha` command. */
    evalsha(...args: any[]): unknown
    /** ioredis' `quit`, called by {@link Redlock.quit}. */
    quit(...args: any[]): unknown
  }

  /**
   * A node-redis v4 client (`createClient()`), described structurally (the `redis` types are
   * not needed). Its `url`, `username`, `password`, `database` and `socket` (`host`, `port`,
   * `tls` with `ca`, `cert`, `key`, `rejectUnauthorized`, `connectTimeout`) are read and
   * redlock-rs opens its own connection with them; it need not be connected. A node-redis
   * cluster (`createCluster()`) is accepted once connected (its masters serve as seeds; its
   * credentials and TLS options cannot be read — pass a {@link ClientOptions} with `cluster`
   * instead when it needs them). Clients on a unix socket (`socket.path`) or with a
   * `credentialsProvider` or `socketFactory` run their commands on the object itself (the
   * client backend), as does any client with `useClientObjects`.
   */
  export interface NodeRedisLike {
    /** node-redis' `RedisClientOptions`. */
    readonly options?: object | undefined
    /** node-redis' `isOpen`. */
    readonly isOpen: boolean
    /** node-redis' `sendCommand`. */
    sendCommand(...args: any[]): unknown
  }

  /**
   * A node-redis v3 client (`require('redis').createClient(…)`, the client of node-redlock v4's
   * README), described structurally (compatible with `@types/redis` v2's `RedisClient`). Its
   * `host`, `port`, `password`, `db` and `tls` are read and redlock-rs opens its own connection
   * with them. Unix-socket (`path`) clients run their commands on the object itself (the
   * client backend).
   */
  export interface NodeRedisV3Like {
    /** node-redis v3's `connected`. */
    readonly connected: boolean
    /** node-redis v3's `send_command`. */
    send_command(...args: any[]): unknown
    /** node-redis v3's `options` (always present at run time). */
    readonly options?: object | undefined
  }

  /**
   * Any other object that can run Redis scripts the `ioredis` way — `ioredis-mock`, a
   * hand-written test double — served by the client backend: redlock-rs never connects to
   * anything for it, and sends `evalsha` (`eval` when the answer is `NOSCRIPT`) and `pttl` to
   * the object. Replies other than the scripts' own (an integer, or two for a release) count
   * as a failure of that server, never as a vote for. (node-redis-shaped objects with
   * `sendCommand`, or `evalSha`/`eval`/`pTTL`, are accepted alike.)
   */
  export interface ScriptingClientLike {
    evalsha(sha: string, numberOfKeys: number, ...keysAndArgs: string[]): unknown
    eval(script: string, numberOfKeys: number, ...keysAndArgs: string[]): unknown
    pttl(key: string): unknown
  }

  /**
   * Connection options given directly in the `clients` of `new Redlock(…)`: ioredis-style
   * {@link IoredisClientOptions}, plus `url`, `cluster` and `sentinels`. An object needs at least
   * `host`, `port`, `url`, `cluster` or `sentinels`.
   */
  export interface ClientOptions extends IoredisClientOptions {
    /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. */
    url?: string | undefined
    /**
     * A Redis Cluster as one voter: its seed nodes, as `{ host, port }` objects (host default
     * `127.0.0.1`, port default 6379), `"host:port"` strings or `redis://` URLs. `username`,
     * `password`, `tls`, `connectTimeout` and `keyPrefix` apply to every node.
     */
    cluster?: ReadonlyArray<{ host?: string | undefined; port?: number | undefined } | string> | undefined
    /**
     * A master managed by Redis Sentinel, as one voter: the sentinels to ask (same forms as
     * `cluster`) for the master called `name`. It is looked up on first use and again after a
     * failed call. `username`, `password`, `db` and `tls` apply to the master.
     */
    sentinels?: ReadonlyArray<{ host?: string | undefined; port?: number | undefined } | string> | undefined
    /** The Sentinel master name (required with `sentinels`). */
    name?: string | undefined
    /** Credentials for the sentinels themselves. */
    sentinelUsername?: string | undefined
    sentinelPassword?: string | undefined
  }

  /**
   * Anything a {@link Redlock} can vote over, one per independent Redis server or Cluster: an
   * {@link IoredisClient}, a {@link RedisJsClient}, an `ioredis` `Redis` or `Cluster` instance
   * ({@link IoredisLike}), a node-redis v4 client or connected cluster ({@link NodeRedisLike}),
   * a node-redis v3 client ({@link NodeRedisV3Like}), a mock or other object that runs scripts
   * ({@link ScriptingClientLike}), a `redis://` / `rediss://` URL, or a {@link ClientOptions}
   * object.
   */
  export type Client =
    | IoredisClient
    | RedisJsClient
    | IoredisLike
    | NodeRedisLike
    | NodeRedisV3Like
    | ScriptingClientLike
    | string
    | ClientOptions

  /** `@types/redlock` (v4) name of {@link Client}. */
  export type CompatibleRedisClient = Client

  // ---------------------------------------------------------------------------------------
  // Settings

  /**
   * The settings a {@link Redlock} runs with (`redlock.settings`, frozen) — node-redlock v5's
   * `Settings`, plus `nodeTimeout`. Overrides are {@link SettingsOverrides}.
   */
  export interface Settings {
    /**
     * Expected clock drift as a fraction of the TTL, in [0, 1). The drift subtracted from the
     * validity is `round(ttl × driftFactor) + 2` ms. Default `0.01`.
     */
    readonly driftFactor: number
    /** Retries after the first attempt (an integer ≥ 0), or `-1` to retry until acquired. Default `10`. */
    readonly retryCount: number
    /**
     * Base delay between attempts in ms (an integer ≥ 0). Default `200`. It is the longest a
     * waiter sleeps: when the resource is released (by this `Redlock`, or announced by a server)
     * the longest-waiting caller of the process retries at once, and a new caller queues behind
     * the callers already waiting for the resource.
     */
    readonly retryDelay: number
    /** Random ± spread added to each delay in ms (an integer ≥ 0). Default `100`. */
    readonly retryJitter: number
    /**
     * How long (ms) before a {@link Redlock.using} lock expires it is extended (an integer
     * ≥ 0). A `using()` duration must exceed it by at least 100 ms. Default `500`.
     */
    readonly automaticExtensionThreshold: number
    /**
     * Per-server timeout in ms for one request (a positive integer); a server that has not
     * answered in time counts as failed for that attempt. Absent by default: derived from each
     * TTL as `clamp(floor(ttl / 20), 100, 1000)`, 5 % of it (see {@link Redlock.nodeTimeoutFor}), and 500 ms
     * for releases. (redlock-rs addition.)
     */
    readonly nodeTimeout?: number
    /**
     * `true`: every acquire comes with a fencing token ({@link Lock.fencingToken}) that strictly
     * increases from lock to lock of a resource across all the servers, at the cost of one
     * extra round trip (a write-back) per acquire. Per call, `fencing: false` turns it off for
     * that call. Absent (off) by default. Counters must survive server restarts (AOF with
     * `appendfsync always`); not available with custom scripts (a `TypeError`); a
     * `TypeError` when not a boolean. See docs/fencing.md. (redlock-rs addition.)
     */
    readonly fencing?: boolean
    /**
     * The restart guard in ms (an integer ≥ 0; redlock-rs addition). A server that restarted
     * (a new `run_id` seen on a reconnect, which includes a Sentinel failover to another
     * server) does not count its grants for this long after the restart was detected; a server
     * this process reaches for the first time does not count them until its uptime reaches it.
     * Its grants then count against the quorum, are rolled back like any other, and are named
     * in the statistics (a {@link NodeError} with `reason: 'quarantined'`). It should be the
     * longest TTL any process uses on these servers. Servers with AOF and `appendfsync always`
     * are never quarantined; `0` turns the guard off.
     *
     * Absent by default: then the guard is the largest TTL (acquire or extend) asked of that
     * server before the check, so a fresh `Redlock` meeting a freshly started server is not
     * quarantined (test suites that start redis-server just before their tests keep working),
     * while a restart seen later is. Needs redlock-rs's own connections (the default for every
     * kind of entry); not applied with `useClientObjects: true` (the commands then run on the
     * caller's client objects) nor to a Redis Cluster voter. See docs/operations.md, "Restart
     * guard".
     */
    readonly restartGuard?: number
  }

  /** The original redlock-rs name of {@link Settings}. */
  export type ResolvedSettings = Settings

  /**
   * Overrides of the {@link Settings}: node-redlock v5's `Partial<Settings>`, where a field set
   * to `undefined` also means "not overridden" (so it is accepted under
   * `exactOptionalPropertyTypes`). Unknown keys are ignored at run time.
   */
  export type SettingsOverrides = { readonly [K in keyof Settings]?: Settings[K] | undefined }

  /** node-redlock v4's script modifier: receives the default Lua script, returns the one to run. */
  export type LockScriptFunction = (origScript: string) => string

  /**
   * The second argument of `new Redlock(clients, options)`: overrides of the {@link Settings}
   * (v5) — every field optional, unknown keys ignored — plus node-redlock v4's script options,
   * which set the same scripts as {@link Scripts} (the third argument wins).
   */
  export interface Options extends SettingsOverrides {
    /**
     * `true`: run every command on the client objects given — ioredis, node-redis 3 to 6, their
     * clusters, mocks — and open no connection of redlock-rs's own to them (for plans limited in
     * connections). URL strings, options objects and redlock-rs's own clients still connect
     * natively. Default `false`: real clients whose settings can be read get native
     * connections; mocks, unix sockets, custom connectors and credential providers use their
     * object anyway. Through a client object, the per-server timeout, rollback, validity and
     * ordering rules hold as for native connections, but no release announcement reaches the
     * waiters (no Pub/Sub listener on a client object): a release made by another process or
     * `Redlock` object is seen at their next retry, after `retryDelay` (a release by the same
     * `Redlock` still wakes them at once). A `TypeError` when not a boolean. (redlock-rs
     * addition; see docs/api.md "Clients".)
     */
    useClientObjects?: boolean | undefined
    /**
     * node-redlock v4's custom lock script: {@link Scripts.acquireScript}. A function receives
     * node-redlock **v5**'s default acquire script (multi-key, see {@link Scripts}), not v4's.
     */
    lockScript?: LockScriptFunction | string | undefined
    /** node-redlock v4's custom unlock script: {@link Scripts.releaseScript}. */
    unlockScript?: LockScriptFunction | string | undefined
    /** node-redlock v4's custom extend script: {@link Scripts.extendScript}. */
    extendScript?: LockScriptFunction | string | undefined
  }

  /**
   * node-redlock v5's third constructor argument: custom Lua scripts, each a string or a
   * function that receives node-redlock v5's default script and returns the one to run (unlike
   * node-redlock, the string form is honoured too). They run as given on every server with
   * node-redlock's conventions: `KEYS` = the resources, `ARGV[1]` = the lock value, `ARGV[2]` =
   * the duration in ms; acquire and extend return the number of keys written (all of them means
   * "for"), release the number of keys deleted. Trusted configuration: a wrong script breaks
   * mutual exclusion.
   */
  export interface Scripts {
    /** The acquire script (string, or a function of the default). */
    readonly acquireScript?: string | ((script: string) => string) | undefined
    /** The extend script (string, or a function of the default). */
    readonly extendScript?: string | ((script: string) => string) | undefined
    /** The release script (string, or a function of the default). */
    readonly releaseScript?: string | ((script: string) => string) | undefined
  }

  /** Per-call settings of {@link Redlock.acquire} and {@link Redlock.tryAcquire}. */
  export interface AcquireSettings extends SettingsOverrides {
    /**
     * Cancels the acquisition: when it aborts, retrying stops, this attempt's writes are
     * rolled back, and the call rejects with an {@link ExecutionError} "The operation was
     * aborted." (`reason` `'cancelled'`, `cause` = the signal's reason). A signal that is
     * already aborted rejects at once, before any Redis traffic. No effect once the lock is
     * acquired. (redlock-rs addition.)
     */
    signal?: AbortSignal | undefined
  }

  /** Per-call settings of {@link Redlock.using}. */
  export interface UsingSettings extends AcquireSettings {
    /**
     * Upper bound (ms, an integer ≥ 0) on how long automatic extension keeps the lock: it is
     * never extended past acquisition + `maxHoldTime`; then it expires and the routine's signal
     * aborts. Default: unbounded. (redlock-rs addition. An invalid value rejects with a
     * `RangeError` — currently only after the lock was acquired, which is then left to expire.)
     */
    maxHoldTime?: number | undefined
    /**
     * Upper bound (an integer ≥ 0) on the number of automatic extensions; then the lock expires
     * and the routine's signal aborts. Default: unbounded. (redlock-rs addition. An invalid
     * value rejects with a `RangeError` — currently only after the lock was acquired, which is
     * then left to expire.)
     */
    maxExtensions?: number | undefined
  }

  // ---------------------------------------------------------------------------------------
  // Options of the redlock-rs client classes

  /** Options of {@link IoredisClient}, named as in `ioredis`. */
  export interface IoredisClientOptions {
    /** Host name or IP address. Default `'127.0.0.1'`. */
    host?: string | undefined
    /** Port, an integer in [1, 65535]. Default `6379`. */
    port?: number | undefined
    /** ACL user name (Redis 6+). */
    username?: string | undefined
    /** Password (`AUTH`). Never shown in messages or `inspect` output. */
    password?: string | undefined
    /** Database index (`SELECT`), an integer ≥ 0. Default `0`. */
    db?: number | undefined
    /**
     * `true` or an object (ioredis' `tls: {}` / `tls: { ca, cert, key, … }`) connects with
     * TLS. The server is verified against the system's trust store, or against `tls.ca` when
     * given; see {@link TlsOptions}.
     */
    tls?: boolean | TlsOptions | undefined
    /** Connect timeout in ms, an integer in [1, 3600000]. Default `1000`. */
    connectTimeout?: number | undefined
    /**
     * Prepended to every resource name to form the Redis key, as ioredis' `keyPrefix`
     * (`'app:'` locks the key `app:orders:42` for the resource `orders:42`).
     */
    keyPrefix?: string | undefined
  }

  /**
   * TLS options, with the `tls.connect()` names ioredis (`tls: {…}`) and node-redis (`socket:
   * { tls: true, … }`) use. PEM material may be a string, a `Buffer` or an array of them.
   */
  export interface TlsOptions {
    /** Trusted CA certificate(s) (PEM), used instead of the system's trust store. */
    ca?: string | Buffer | Array<string | Buffer> | undefined
    /** Client certificate chain (PEM) for mutual TLS; needs `key`. */
    cert?: string | Buffer | Array<string | Buffer> | undefined
    /** Client private key (PEM) for mutual TLS; needs `cert`. */
    key?: string | Buffer | Array<string | Buffer> | undefined
    /** `false` skips verifying the server's certificate (insecure). Default `true`. */
    rejectUnauthorized?: boolean | undefined
    /**
     * The server name to verify. redlock-rs verifies the host it connects to, so when given it
     * must equal the host (otherwise the constructor throws a `TypeError`).
     */
    servername?: string | undefined
    /** Other `tls.connect()` options are accepted and ignored. */
    [option: string]: unknown
  }

  /** Socket options of {@link RedisJsClient}, named as in node-redis. */
  export interface RedisJsSocketOptions {
    /** Host name or IP address; overrides the URL's. */
    host?: string | undefined
    /** Port, an integer in [1, 65535]; overrides the URL's. */
    port?: number | undefined
    /**
     * `true` connects with TLS, verifying the server against the system's trust store, or
     * against `ca` when given.
     */
    tls?: boolean | undefined
    /** With `tls: true`: trusted CA certificate(s) (PEM) instead of the system's trust store. */
    ca?: TlsOptions['ca']
    /** With `tls: true`: client certificate chain (PEM) for mutual TLS; needs `key`. */
    cert?: TlsOptions['cert']
    /** With `tls: true`: client private key (PEM) for mutual TLS; needs `cert`. */
    key?: TlsOptions['key']
    /** With `tls: true`: `false` skips verifying the server's certificate (insecure). */
    rejectUnauthorized?: boolean | undefined
    /** With `tls: true`: must equal the host when given. */
    servername?: string | undefined
    /** Connect timeout in ms, an integer in [1, 3600000]. Default `1000`. */
    connectTimeout?: number | undefined
  }

  /** Options of {@link RedisJsClient}, named as in node-redis `createClient`. */
  export interface RedisJsClientOptions {
    /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. Default `'redis://127.0.0.1:6379'`. */
    url?: string | undefined
    /** ACL user name (Redis 6+); overrides the URL's. */
    username?: string | undefined
    /** Password (`AUTH`); overrides the URL's. Shown as `***` in {@link RedisJsClient.url}. */
    password?: string | undefined
    /** Database index (`SELECT`), an integer ≥ 0; overrides the URL's. */
    database?: number | undefined
    /** Host, port, TLS and connect timeout. */
    socket?: RedisJsSocketOptions | undefined
  }
}

export = Redlock
