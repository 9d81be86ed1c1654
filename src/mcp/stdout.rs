//! The server's stdout, watched: when the client stops reading it (its end of the pipe is
//! closed) while stdin stays open, no reply can ever arrive again, so the server stops instead
//! of running on and logging "Broken pipe" for every message.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use tokio::sync::Notify;

/// Stdout that tells `closed` when a write finds the pipe broken.
pub struct WatchedStdout {
    inner: tokio::io::Stdout,
    closed: Arc<Notify>,
}

impl WatchedStdout {
    pub fn new(closed: Arc<Notify>) -> WatchedStdout {
        WatchedStdout {
            inner: tokio::io::stdout(),
            closed,
        }
    }

    fn check<T>(&self, result: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(e)) = &result
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            self.closed.notify_one();
        }
        result
    }
}

impl AsyncWrite for WatchedStdout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.check(result)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.check(result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
