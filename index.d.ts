// Public types of redlock-rs (hand-written; the generated native types are in binding.d.ts and
// are an implementation detail). CommonJS: `module.exports = Redlock`, plus `.default`,
// `.Redlock`, `.IoredisClient` and `.RedisJsClient`.

/**
 * The Redlock distributed lock over N independent Redis servers, with its engine in Rust.
 *
 * A lock is acquired when a quorum (`floor(N / 2) + 1`) of the servers granted it and some
 * validity is left: `validity = ttl − elapsed − (round(ttl × driftFactor) + 2)` ms. Failed
 * attempts are rolled back on every server before the next retry.
 *
 * @example
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
declare class Redlock {
  /**
   * @param clients - One client per independent Redis server (at least one; an odd number such
   * as 3 or 5 is usual). The same client object given twice counts once. Two clients that point
   * at the same host, port and database are rejected with a `RangeError`: they would be one
   * failure domain voting twice.
   * @param settings - Overrides of the {@link Redlock.Settings | default settings}.
   * @throws `TypeError` (code `ERR_INVALID_ARG_TYPE`) when `clients` is empty or holds
   * something other than an {@link Redlock.IoredisClient} or {@link Redlock.RedisJsClient}, or a
   * setting is not a number; `RangeError` (code `ERR_OUT_OF_RANGE`) when a setting is out of
   * range or two clients point at the same server.
   */
  constructor(clients: ReadonlyArray<Redlock.Client>, settings?: Redlock.Settings)

  /** The `Redlock` class itself (`require('redlock-rs').default`), for tools that read `.default` on ES-module-style default imports. */
  static readonly default: typeof Redlock
  /** The `Redlock` class itself, for `const { Redlock } = require('redlock-rs')`. */
  static readonly Redlock: typeof Redlock

  /** The resolved settings: defaults merged with the constructor's overrides. Frozen. */
  readonly settings: Redlock.ResolvedSettings
  /**
   * The clients this Redlock votes over, in the order given, with duplicates of the same object
   * removed: a read-only `Set` (as in node-redlock v5; `add`, `delete` and `clear` throw).
   */
  readonly clients: ReadonlySet<Redlock.Client>
  /**
   * 32 lowercase hex characters (128 bits from the OS CSPRNG), made at construction: the
   * default lock id of {@link Redlock.acquireLock} and the value stored under the resource key.
   */
  readonly id: string
  /** The number of servers that must grant a lock: `floor(clients.length / 2) + 1`. */
  readonly quorum: number

  /**
   * The per-server timeout (ms) used for a lock of this TTL: `settings.nodeTimeout` when set,
   * otherwise `clamp(floor(ttl / 10), 50, 1000)`.
   * @param ttl - A TTL in milliseconds (a positive safe integer).
   * @throws `TypeError` / `RangeError` "Duration must be an integer value in milliseconds."
   */
  nodeTimeoutFor(ttl: number): number

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
   * Deletes `resource` on every server where it holds `lockId` (compare-and-delete); a wrong
   * id changes nothing. Resolves once a quorum of servers confirmed (deleted, or nothing of
   * `lockId` was there), so it resolves promptly when the lock is not held.
   *
   * @param resource - The locked Redis key.
   * @param lockId - The lock id it was acquired with (usually {@link Redlock.id}). Required.
   * @returns Rejects only when a quorum of the servers stayed unreachable through the retries.
   * @throws `TypeError` / `RangeError` synchronously on bad arguments.
   */
  releaseLock(resource: string, lockId: string): Promise<void>

  /**
   * Closes the connections of this Redlock's clients (the client objects are closed too; they
   * cannot be used afterwards). Locks are not released.
   */
  quit(): Promise<void>

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
   * Deletes `resource` if it holds `lockId`; a wrong id changes nothing.
   * @param resource - The locked Redis key.
   * @param lockId - The lock id it was acquired with. Required.
   * @returns Rejects with an `Error` when the server is unreachable.
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
   * Deletes `resource` if it holds `lockId`; a wrong id changes nothing.
   * @param resource - The locked Redis key.
   * @param lockId - The lock id it was acquired with. Required.
   * @returns Rejects with an `Error` when the server is unreachable.
   * @throws `TypeError` / `RangeError` synchronously on bad arguments.
   */
  releaseLock(resource: string, lockId: string): Promise<void>

  private readonly __redlockRsRedisJsClient: unknown
}

declare namespace Redlock {
  export { IoredisClient, RedisJsClient }

  /** Anything a {@link Redlock} can vote over: one client per independent Redis server. */
  export type Client = IoredisClient | RedisJsClient

  /** Overrides of the Redlock defaults; every field is optional. Unknown keys are ignored. */
  export interface Settings {
    /**
     * Expected clock drift as a fraction of the TTL, in [0, 1). The drift subtracted from the
     * validity is `round(ttl × driftFactor) + 2` ms. Default `0.01`.
     */
    driftFactor?: number
    /** Retries after the first attempt (an integer ≥ 0), or `-1` to retry until acquired. Default `10`. */
    retryCount?: number
    /** Base delay between attempts in ms (an integer ≥ 0). Default `200`. */
    retryDelay?: number
    /** Random ± spread added to each delay in ms (an integer ≥ 0). Default `100`. */
    retryJitter?: number
    /**
     * Time in ms before expiry at which a lock would be extended automatically (an integer
     * ≥ 0). Validated and kept for the node-redlock v5 API; the `acquireLock` /
     * `releaseLock` API does not extend locks. Default `500`.
     */
    automaticExtensionThreshold?: number
    /**
     * Per-server timeout in ms for one request (a positive integer). A server that has not
     * answered in time counts as failed for that attempt. Default: derived from each TTL as
     * `clamp(floor(ttl / 10), 50, 1000)`; see {@link Redlock.nodeTimeoutFor}.
     */
    nodeTimeout?: number
  }

  /** The settings a {@link Redlock} runs with (read-only). */
  export interface ResolvedSettings {
    /** See {@link Settings.driftFactor}. */
    readonly driftFactor: number
    /** See {@link Settings.retryCount}; `-1` means retry until acquired. */
    readonly retryCount: number
    /** See {@link Settings.retryDelay}. */
    readonly retryDelay: number
    /** See {@link Settings.retryJitter}. */
    readonly retryJitter: number
    /** See {@link Settings.automaticExtensionThreshold}. */
    readonly automaticExtensionThreshold: number
    /** See {@link Settings.nodeTimeout}; absent when the timeout is derived from each TTL. */
    readonly nodeTimeout?: number
  }

  /** Options of {@link IoredisClient}, named as in `ioredis`. */
  export interface IoredisClientOptions {
    /** Host name or IP address. Default `'127.0.0.1'`. */
    host?: string
    /** Port, an integer in [1, 65535]. Default `6379`. */
    port?: number
    /** ACL user name (Redis 6+). */
    username?: string
    /** Password (`AUTH`). Never shown in messages or `inspect` output. */
    password?: string
    /** Database index (`SELECT`), an integer ≥ 0. Default `0`. */
    db?: number
    /**
     * `true` (or any object, as ioredis' `tls: {}`) connects with TLS, verifying the server
     * against the system's trust store. The object's fields are not used.
     */
    tls?: boolean | object
    /** Connect timeout in ms, an integer in [1, 3600000]. Default `1000`. */
    connectTimeout?: number
    /**
     * Prepended to every resource name to form the Redis key, as ioredis' `keyPrefix`
     * (`'app:'` locks the key `app:orders:42` for the resource `orders:42`).
     */
    keyPrefix?: string
  }

  /** Socket options of {@link RedisJsClient}, named as in node-redis. */
  export interface RedisJsSocketOptions {
    /** Host name or IP address; overrides the URL's. */
    host?: string
    /** Port, an integer in [1, 65535]; overrides the URL's. */
    port?: number
    /** `true` connects with TLS, verifying the server against the system's trust store. */
    tls?: boolean
    /** Connect timeout in ms, an integer in [1, 3600000]. Default `1000`. */
    connectTimeout?: number
  }

  /** Options of {@link RedisJsClient}, named as in node-redis `createClient`. */
  export interface RedisJsClientOptions {
    /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. Default `'redis://127.0.0.1:6379'`. */
    url?: string
    /** ACL user name (Redis 6+); overrides the URL's. */
    username?: string
    /** Password (`AUTH`); overrides the URL's. Shown as `***` in {@link RedisJsClient.url}. */
    password?: string
    /** Database index (`SELECT`), an integer ≥ 0; overrides the URL's. */
    database?: number
    /** Host, port, TLS and connect timeout. */
    socket?: RedisJsSocketOptions
  }
}

export = Redlock
