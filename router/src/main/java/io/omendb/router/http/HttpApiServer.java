package io.omendb.router.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslHandler;
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
 * <p>Sockets: Linux's native epoll where Netty's native library loads, else the JDK's NIO ({@link SocketTransport}).
 *
 * <p>Per connection the pipeline is: connection limit, TLS (when {@link ServerGuards} has a context; the TLS
 * handshake must finish within {@link #TLS_HANDSHAKE_TIMEOUT_MS}), idle timeout, request read timeout (slow
 * clients), HTTP codec (request line long enough for a scan with two maximal percent-encoded keys), body
 * aggregation up to {@code maxRequestBodyBytes} (JSON 413 beyond), and the {@link RequestDispatcher} (which asks
 * the {@link RequestGate} about each request and records each answer in the {@link AccessLog}). No handler
 * blocks: backend work is asynchronous, so two event loops serve thousands of concurrent requests.
 *
 * <p>Lifecycle: {@link #start} binds and returns a running server; {@link #close} unbinds, closes connections
 * and stops every thread it started (waiting at most {@link #SHUTDOWN_TIMEOUT_MS}).
 */
public final class HttpApiServer implements AutoCloseable {
    static final long SHUTDOWN_TIMEOUT_MS = 5_000;
    private static final int HEADER_BYTES_MAX = 16 * 1024;
    static final long TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

    private final SocketTransport transport;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final Channel serverChannel;

    private HttpApiServer(SocketTransport transport, EventLoopGroup acceptor, EventLoopGroup workers,
                          Channel serverChannel) {
        this.transport = transport;
        this.acceptor = acceptor;
        this.workers = workers;
        this.serverChannel = serverChannel;
    }

    /** Starts a server measuring time with {@link System#nanoTime()}. */
    public static HttpApiServer start(HttpServerOptions options, KvBackend backend, RouterMetrics metrics)
            throws InterruptedException {
        return start(options, backend, metrics, System::nanoTime);
    }

    /** Starts a server without authentication or TLS; {@code nanoClock} drives latencies and uptime. */
    public static HttpApiServer start(HttpServerOptions options, KvBackend backend, RouterMetrics metrics,
                                      LongSupplier nanoClock) throws InterruptedException {
        return start(options, ServerGuards.open(), backend, metrics, nanoClock);
    }

    /** Starts a server protected by {@code guards}; {@code nanoClock} drives latencies and uptime. */
    public static HttpApiServer start(HttpServerOptions options, ServerGuards guards, KvBackend backend,
                                      RouterMetrics metrics, LongSupplier nanoClock) throws InterruptedException {
        return start(options, guards, backend, null, metrics, nanoClock);
    }

    /** Same, also serving {@code /admin/backup/*} from {@code backupsOrNull} (null: no backup endpoints). */
    public static HttpApiServer start(HttpServerOptions options, ServerGuards guards, KvBackend backend,
                                      BackupCheckpointStore backupsOrNull, RouterMetrics metrics,
                                      LongSupplier nanoClock) throws InterruptedException {
        return start(options, guards, backend, backupsOrNull, metrics, nanoClock, AccessLog.off());
    }

    /** Same, recording every completed request in {@code accessLog}. */
    public static HttpApiServer start(HttpServerOptions options, ServerGuards guards, KvBackend backend,
                                      BackupCheckpointStore backupsOrNull, RouterMetrics metrics,
                                      LongSupplier nanoClock, AccessLog accessLog) throws InterruptedException {
        return start(options, guards, backend, backupsOrNull, metrics, nanoClock, accessLog, SocketTransport.best());
    }

    /** Same without an access log, on the given socket transport (tests run both). */
    static HttpApiServer start(HttpServerOptions options, ServerGuards guards, KvBackend backend,
                               BackupCheckpointStore backupsOrNull, RouterMetrics metrics, LongSupplier nanoClock,
                               SocketTransport transport) throws InterruptedException {
        return start(options, guards, backend, backupsOrNull, metrics, nanoClock, AccessLog.off(), transport);
    }

    private static HttpApiServer start(HttpServerOptions options, ServerGuards guards, KvBackend backend,
                                       BackupCheckpointStore backupsOrNull, RouterMetrics metrics,
                                       LongSupplier nanoClock, AccessLog accessLog, SocketTransport transport)
            throws InterruptedException {
        RouteTable routes = ApiRoutes.create(backend, backupsOrNull, options, nanoClock, version(),
                guards.gate().routes());
        ConcurrencyLimit concurrencyLimit = new ConcurrencyLimit(options.maxConcurrentRequests());
        ConnectionLimiter connectionLimiter = new ConnectionLimiter(options.maxConnections(), metrics);
        metrics.registerActiveConnections(connectionLimiter::activeConnections);
        metrics.registerAccessLogDropped(accessLog::droppedLines);
        HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(6 * options.maxKeyBytes() + 1024)
                .setMaxHeaderSize(HEADER_BYTES_MAX);
        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, transport.ioHandlers());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(options.ioThreads(), transport.ioHandlers());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(transport.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(connectionLimiter);
                        if (guards.sslContextOrNull() != null) {
                            SslHandler tls = guards.sslContextOrNull().newHandler(ch.alloc());
                            tls.setHandshakeTimeoutMillis(TLS_HANDSHAKE_TIMEOUT_MS);
                            ch.pipeline().addLast(tls);
                        }
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, options.idleTimeoutMs(), TimeUnit.MILLISECONDS),
                                new RequestReadTimeout(guards.requestReadTimeoutMs(), metrics::recordRefusal),
                                new HttpServerCodec(decoderConfig),
                                new BodyLimitAggregator(options.maxRequestBodyBytes(), metrics),
                                new RequestDispatcher(routes, guards, concurrencyLimit, metrics,
                                        options.maxQueryDurationMs(), nanoClock, accessLog));
                    }
                });
        try {
            Channel channel = bootstrap.bind(options.bindAddress(), options.port()).sync().channel();
            return new HttpApiServer(transport, acceptor, workers, channel);
        } catch (RuntimeException | InterruptedException e) {
            shutdown(acceptor, workers);
            throw e;
        }
    }

    /** {@code "epoll"} or {@code "nio"}: the socket transport serving connections ({@link SocketTransport}). */
    public String transport() {
        return transport.name();
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
