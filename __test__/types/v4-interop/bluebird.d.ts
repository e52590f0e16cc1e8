// The parts of @types/bluebird that `redlock.disposer()` meets (bluebird is not installed here):
// `Disposer<R>` is an empty class there too, so `using` needs its type arguments spelled out.
declare module 'bluebird' {
  class Bluebird<R> implements PromiseLike<R> {
    then<U = R, V = never>(
      onfulfilled?: ((value: R) => U | PromiseLike<U>) | null,
      onrejected?: ((reason: any) => V | PromiseLike<V>) | null,
    ): Bluebird<U | V>
  }
  namespace Bluebird {
    class Disposer<R> {}
    function using<R, T>(disposer: Disposer<R>, executor: (transaction: R) => PromiseLike<T>): Bluebird<T>
  }
  export = Bluebird
}
