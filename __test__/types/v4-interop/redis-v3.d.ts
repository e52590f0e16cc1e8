// The parts of @types/redis v2 (node-redis v3) that a v4 program hands to Redlock; node-redis v3
// ships no types and is not installed here. `RedisClient` has no `options` in those types.
declare module 'redis-v3' {
  import { EventEmitter } from 'events'
  type Callback<T> = (err: Error | null, reply: T) => void
  interface ClientOpts {
    host?: string
    port?: number
    password?: string
    db?: string | number
  }
  interface RedisClient extends EventEmitter {
    connected: boolean
    command_queue_length: number
    send_command(command: string, cb?: Callback<any>): boolean
    send_command(command: string, args?: any[], cb?: Callback<any>): boolean
    eval(script: string, numKeys: number, ...args: Array<string | number | Callback<any>>): boolean
    quit(cb?: Callback<'OK'>): boolean
  }
  function createClient(port: number, host?: string, options?: ClientOpts): RedisClient
  function createClient(options?: ClientOpts): RedisClient
}
