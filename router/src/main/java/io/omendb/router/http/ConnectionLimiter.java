package io.omendb.router.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.omendb.router.metrics.RouterMetrics;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open connections and closes any accepted beyond {@code max_connections} before it reads a byte (counted
 * as refusal {@code max_connections}).
 * Shared by every channel of one server (hence thread-safe and {@link ChannelHandler.Sharable}); its count is the
 * {@code omendb_active_connections} gauge.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private final int maxConnections;
    private final RouterMetrics metrics;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimiter(int maxConnections, RouterMetrics metrics) {
        this.maxConnections = maxConnections;
        this.metrics = metrics;
    }

    int activeConnections() {
        return Math.min(open.get(), maxConnections);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > maxConnections) {
            metrics.recordRefusal("max_connections");
            ctx.close();
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        ctx.fireChannelInactive();
    }
}
