//! Per-connection control, so a handler can do what HTTP cannot express: drop its own connection
//! without answering (the `reset` fault).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Handed to every request of a connection as a request extension.
#[derive(Clone, Debug)]
pub(crate) struct ConnControl {
    kill: CancellationToken,
    reset: Arc<AtomicBool>,
}

impl ConnControl {
    pub(crate) fn new() -> Self {
        ConnControl {
            kill: CancellationToken::new(),
            reset: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Abort the connection with a TCP RST: the connection task drops it, and the socket is
    /// closed with zero linger.
    pub(crate) fn reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.kill.cancel();
    }

    pub(crate) async fn killed(&self) {
        self.kill.cancelled().await;
    }
}

/// The TCP stream as hyper sees it; only differs from `TcpStream` in how it closes.
pub(crate) struct MockIo {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl MockIo {
    pub(crate) fn new(inner: TcpStream, control: &ConnControl) -> Self {
        MockIo {
            inner,
            reset: control.reset.clone(),
        }
    }
}

impl Drop for MockIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            // Zero linger turns the close into an RST, which is what "connection reset" means.
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for MockIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for MockIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
