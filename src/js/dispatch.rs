//! Runs the hot-path operations (acquire / extend / release) on one long-lived task instead of
//! a task each.
//!
//! Why: a task per operation costs an allocation and a wake-up, and — worse — each new task
//! polled alone sends its one command per node and wakes that connection's writer, which runs
//! next and writes that single command. Here every operation submitted since the last turn is
//! started in one go, so each connection's writer then finds all their commands queued and
//! sends them in one write: fewer system calls in this process and in the Redis servers.

use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::sync::Mutex;
use tokio::sync::mpsc;

type Op = BoxFuture<'static, ()>;

static INTAKE: Mutex<Option<mpsc::UnboundedSender<Op>>> = Mutex::new(None);

/// Starts `op` on the dispatcher (started on first use, and again if its runtime was shut
/// down). A panicking operation is contained: it ends alone (its completer reports it).
pub fn submit(op: impl std::future::Future<Output = ()> + Send + 'static) {
    let op: Op = std::panic::AssertUnwindSafe(op)
        .catch_unwind()
        .map(|_| ())
        .boxed();
    let mut intake = INTAKE.lock().unwrap_or_else(|e| e.into_inner());
    let op = match intake.as_ref() {
        Some(tx) => match tx.send(op) {
            Ok(()) => return,
            Err(mpsc::error::SendError(op)) => op,
        },
        None => op,
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let _ = tx.send(op);
    *intake = Some(tx);
    napi::bindgen_prelude::spawn(run(rx));
}

async fn run(mut rx: mpsc::UnboundedReceiver<Op>) {
    let mut ops = FuturesUnordered::new();
    loop {
        tokio::select! {
            biased;
            op = rx.recv() => match op {
                Some(op) => {
                    ops.push(op);
                    while let Ok(op) = rx.try_recv() {
                        ops.push(op);
                    }
                }
                // Only when the process-wide sender is replaced (never while in use).
                None if ops.is_empty() => return,
                None => while ops.next().await.is_some() {},
            },
            Some(()) = ops.next(), if !ops.is_empty() => {}
        }
    }
}
