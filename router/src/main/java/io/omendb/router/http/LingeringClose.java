package io.omendb.router.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection after its last answer without resetting it, as web servers' "lingering close" does.
 *
 * <p>Why: closing a TCP socket that still holds unread request bytes makes the kernel send a reset instead of an
 * orderly end, and a reset discards whatever the client has not read yet, which is our answer. That happens exactly
 * when an answer refuses a request the client is still sending: a request line or body over the limits, a request
 * that timed out arriving. The client then sees "connection reset" instead of the JSON error (seen with the epoll
 * transport, whose reads and close race the client's sending differently from NIO's; docs/BENCHMARKS.md item 11).
 *
 * <p>What it does, once the answer is written: stop processing input (everything the client still sends is read and
 * dropped before any decoder sees it), end the output (TLS close_notify first where TLS is on, then a TCP half-close),
 * so the client reads the answer and then end of stream; the connection closes when the client closes its side or
 * {@link #LINGER_MS} after the answer, whichever comes first. A failed write closes at once.
 */
final class LingeringClose implements ChannelFutureListener {
    /** Longest wait for the client to close after the answer, in milliseconds. */
    static final long LINGER_MS = 2_000;
    static final LingeringClose AFTER_WRITE = new LingeringClose();

    private LingeringClose() {
    }

    @Override
    public void operationComplete(ChannelFuture written) {
        Channel channel = written.channel();
        if (!written.isSuccess() || !(channel instanceof DuplexChannel duplex) || !channel.isActive()) {
            channel.close();
            return;
        }
        channel.pipeline().addFirst(new DropInput());
        channel.eventLoop().schedule(() -> channel.close(), LINGER_MS, TimeUnit.MILLISECONDS);
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        ChannelFuture outputDone = tls == null ? duplex.shutdownOutput()
                : tls.closeOutbound().addListener(sent -> duplex.shutdownOutput());
        outputDone.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** Reads and releases everything that arrives after the last answer. */
    private static final class DropInput extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
