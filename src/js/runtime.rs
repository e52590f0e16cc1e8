//! The tokio runtime the addon runs on: one worker thread. The Redis I/O of every operation
//! is small and latency-bound; on the small machines this targets, a second worker mostly adds
//! cross-thread wake-ups and spinning (measured in bench/README.md). `REDLOCK_RS_WORKERS`
//! overrides the count.

#[napi_derive::module_init]
fn init() {
    // Runs for every environment that loads the addon (each worker thread); napi keeps the
    // first runtime given, so build it once.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(build);
}

fn build() {
    let workers = std::env::var("REDLOCK_RS_WORKERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| (1..=64).contains(n))
        .unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("redlock-rs")
        .enable_all()
        .build()
        .expect("the tokio runtime could not be created");
    napi::bindgen_prelude::create_custom_tokio_runtime(rt);
}
