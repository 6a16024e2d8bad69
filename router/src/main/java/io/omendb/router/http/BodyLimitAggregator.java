package io.omendb.router.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.omendb.router.metrics.RouterMetrics;

/**
 * {@link HttpObjectAggregator} whose over-limit answer is our JSON 413 {@code body_too_large} instead of Netty's
 * empty one. As in Netty: a keep-alive request keeps its connection (the aggregator discards the rest of the
 * body, so a client still sending sees the 413, not a reset); otherwise the connection closes after the answer,
 * without a reset ({@link LingeringClose}).
 * Limitation: this answer is written directly, so on a pipelined connection it may overtake the answers to
 * earlier requests still in flight.
 */
final class BodyLimitAggregator extends HttpObjectAggregator {
    private final int maxRequestBodyBytes;
    private final RouterMetrics metrics;

    BodyLimitAggregator(int maxRequestBodyBytes, RouterMetrics metrics) {
        super(maxRequestBodyBytes);
        this.maxRequestBodyBytes = maxRequestBodyBytes;
        this.metrics = metrics;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        boolean keepAlive = !(oversized instanceof FullHttpMessage)
                && (HttpUtil.is100ContinueExpected(oversized) || HttpUtil.isKeepAlive(oversized));
        metrics.recordRefusal("body_too_large");
        ApiResponse answer = ErrorMapper.toResponse(ApiError.tooLarge("body_too_large",
                "request body exceeds max_request_body_bytes=" + maxRequestBodyBytes));
        ctx.writeAndFlush(NettyResponses.toNetty(answer, keepAlive))
                .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : LingeringClose.AFTER_WRITE);
    }
}
