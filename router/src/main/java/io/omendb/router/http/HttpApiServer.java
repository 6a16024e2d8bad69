package io.omendb.router.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.omendb.router.backend.BackupCheckpointStore;
import io.omendb.router.backend.KvBackend;
import io.omendb.router.metrics.RouterMetrics;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The HTTP/1.1 API server: Netty with keep-alive, one acceptor thread and {@code ioThreads} event loops.
 *
 * <p>Per connection the pipeline is: connection limit, idle timeout, HTTP codec (request line long enough for a
 * scan with two maximal percent-encoded keys), body aggregation up to {@code maxRequestBodyBytes} (JSON 413
 * beyond), and the {@link RequestDispatcher}. No handler blocks: backend work is asynchronous, so two event loops
 * serve thousands of concurrent requests.
 *
 * <p>Lifecycle: {@link #start} binds and returns a running server; {@link #close} unbinds, closes connections
 * and stops every thread it started (waiting at most {@link #SHUTDOWN_TIMEOUT_MS}).
 */
public final class HttpApiServer implements AutoCloseable {
    static final long SHUTDOWN_TIMEOUT_MS = 5_000;
    private static final int HEADER_BYTES_MAX = 16 * 1024;

    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final Channel serverChannel;

    private HttpApiServer(EventLoopGroup acceptor, EventLoopGroup workers, Channel serverChannel) {
        this.acceptor = acceptor;
        this.workers = workers;
        this.serverChannel = serverChannel;
    }

    /** Starts a server measuring time with {@link System#nanoTime()}. */
    public static HttpApiServer start(HttpServerOptions options, KvBackend backend, RouterMetrics metrics)
            throws InterruptedException {
        return start(options, backend, metrics, System::nanoTime);
    }

    /** Starts a server; {@code nanoClock} drives latencies and uptime (inject a fake one in tests). */
    public static HttpApiServer start(HttpServerOptions options, KvBackend backend, RouterMetrics metrics,
                                      LongSupplier nanoClock) throws InterruptedException {
        return start(options, backend, null, metrics, nanoClock);
    }

    /** Same, also serving {@code /admin/backup/*} from {@code backupsOrNull} (null: no backup endpoints). */
    public static HttpApiServer start(HttpServerOptions options, KvBackend backend,
                                      BackupCheckpointStore backupsOrNull, RouterMetrics metrics,
                                      LongSupplier nanoClock) throws InterruptedException {
        RouteTable routes = ApiRoutes.create(backend, backupsOrNull, options, nanoClock, version());
        ConcurrencyLimit concurrencyLimit = new ConcurrencyLimit(options.maxConcurrentRequests());
        ConnectionLimiter connectionLimiter = new ConnectionLimiter(options.maxConnections());
        metrics.registerActiveConnections(connectionLimiter::activeConnections);
        HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(6 * options.maxKeyBytes() + 1024)
                .setMaxHeaderSize(HEADER_BYTES_MAX);
        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(options.ioThreads(), NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(connectionLimiter,
                                new IdleStateHandler(0, 0, options.idleTimeoutMs(), TimeUnit.MILLISECONDS),
                                new HttpServerCodec(decoderConfig),
                                new BodyLimitAggregator(options.maxRequestBodyBytes()),
                                new RequestDispatcher(routes, concurrencyLimit, metrics,
                                        options.maxQueryDurationMs(), nanoClock));
                    }
                });
        try {
            Channel channel = bootstrap.bind(options.bindAddress(), options.port()).sync().channel();
            return new HttpApiServer(acceptor, workers, channel);
        } catch (RuntimeException | InterruptedException e) {
            shutdown(acceptor, workers);
            throw e;
        }
    }

    /** The bound port (the real one when started with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
        shutdown(acceptor, workers);
    }

    private static void shutdown(EventLoopGroup acceptor, EventLoopGroup workers) {
        acceptor.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        acceptor.terminationFuture().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
        workers.terminationFuture().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
    }

    private static String version() {
        String version = HttpApiServer.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
