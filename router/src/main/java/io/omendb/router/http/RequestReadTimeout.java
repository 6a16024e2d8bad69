package io.omendb.router.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Slow-client (slowloris) defence: a request must arrive whole within {@code requestReadTimeoutMs} of its first
 * byte. The idle timeout alone cannot do this, since a client trickling one header byte per second is never idle.
 *
 * <p>Sits before the HTTP codec and sees raw bytes: the first bytes of a request arm a timer; the
 * {@link RequestDispatcher} fires {@link #REQUEST_RECEIVED} through the pipeline when the aggregated request is
 * complete, which disarms it. On expiry the client gets 408 request_timeout (written from the tail so the codec
 * encodes it) and the connection closes. One instance per channel; runs on its event loop only.
 */
final class RequestReadTimeout extends ChannelDuplexHandler {
    /** User event: one whole request was received. */
    static final Object REQUEST_RECEIVED = new Object();

    private final long requestReadTimeoutMs;
    private final Consumer<String> refusals;
    private ScheduledFuture<?> timer;

    RequestReadTimeout(long requestReadTimeoutMs, Consumer<String> refusals) {
        this.requestReadTimeoutMs = requestReadTimeoutMs;
        this.refusals = refusals;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer == null && msg instanceof ByteBuf buf && buf.isReadable()) {
            timer = ctx.executor().schedule(() -> expire(ctx), requestReadTimeoutMs, TimeUnit.MILLISECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == REQUEST_RECEIVED) {
            disarm();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        refusals.accept("request_timeout");
        ApiResponse answer = ErrorMapper.toResponse(ApiError.of(408, "request_timeout", "the request did not arrive "
                + "whole within request_read_timeout_ms=" + requestReadTimeoutMs + "; send it at once"));
        ctx.channel().writeAndFlush(NettyResponses.toNetty(answer, false)).addListener(LingeringClose.AFTER_WRITE);
    }
}
