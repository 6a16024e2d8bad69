package io.omendb.router.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.buffer.ByteBufUtil;
import io.omendb.router.metrics.RouterMetrics;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Serves the requests of one connection: route, {@link RequestGate} (authentication and roles), memory guard
 * (writes only), concurrency permit, endpoint, deadline, metrics, answer. Every error answer is counted in
 * {@code omendb_refusals_total} under its error code.
 *
 * <p><b>Every answer</b> leaves through {@link #write}, the one place a request completes: it carries the
 * request's {@code X-Request-Id} (the client's, or one the {@link AccessLog} made) and is recorded in the access
 * log with the route's path pattern, the status, the user and the time since the request was read off the wire.
 *
 * <p><b>Threading.</b> One instance per channel; every method and callback runs on the channel's event loop, so
 * its state needs no locks. Endpoints return futures that may complete on any thread; the answer hops back to
 * the event loop before it is written. Nothing here blocks.
 *
 * <p><b>Ordering.</b> HTTP/1.1 answers must leave in request order, so a connection is served one request at a
 * time; pipelined requests wait in a queue of at most {@link #PIPELINED_REQUESTS_MAX} (beyond that the client
 * is misbehaving and the connection is closed).
 *
 * <p><b>Deadline.</b> Each request gets {@code max_query_duration_ms} from dispatch. The deadline completes a copy
 * of the endpoint's future with a timeout, so the answer is written exactly once, whichever comes first.
 */
final class RequestDispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final int PIPELINED_REQUESTS_MAX = 16;
    /** The access log's method for a request whose request line could not be decoded. */
    static final String UNDECODED_METHOD = "-";

    private final RouteTable routes;
    private final RequestGate gate;
    private final BooleanSupplier writesAdmitted;
    private final ConcurrencyLimit concurrencyLimit;
    private final RouterMetrics metrics;
    private final long maxQueryDurationMs;
    private final LongSupplier nanoClock;
    private final AccessLog accessLog;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private boolean serving;
    /** The request being served (null between requests), and what the access log learns of it while it is. */
    private Pending current;
    private String currentPattern;
    private String currentUser;
    /** The client's address as callers see it: formatted once per connection, not per request. */
    private String remoteAddress;

    /** A request parsed off the wire, or the error that parsing it produced, with what the access log needs. */
    private record Pending(ApiRequest requestOrNull, ApiError errorOrNull, boolean keepAlive, String method,
                           String requestId, long receivedNanos) {
    }

    RequestDispatcher(RouteTable routes, ServerGuards guards, ConcurrencyLimit concurrencyLimit,
                      RouterMetrics metrics, long maxQueryDurationMs, LongSupplier nanoClock, AccessLog accessLog) {
        this.routes = routes;
        this.gate = guards.gate();
        this.writesAdmitted = guards.writesAdmitted();
        this.concurrencyLimit = concurrencyLimit;
        this.metrics = metrics;
        this.maxQueryDurationMs = maxQueryDurationMs;
        this.nanoClock = nanoClock;
        this.accessLog = accessLog;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        if (pending.size() >= PIPELINED_REQUESTS_MAX) {
            ctx.close();
            return;
        }
        ctx.pipeline().fireUserEventTriggered(RequestReadTimeout.REQUEST_RECEIVED);
        if (remoteAddress == null) {
            remoteAddress = String.valueOf(ctx.channel().remoteAddress());
        }
        String requestId = accessLog.requestId(msg.headers().get(AccessLog.REQUEST_ID_HEADER));
        pending.add(parse(msg, remoteAddress, requestId, nanoClock.getAsLong()));
        if (!serving) {
            serveNext(ctx);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pending.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent && !serving) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private static Pending parse(FullHttpRequest msg, String remoteAddress, String requestId, long receivedNanos) {
        if (msg.decoderResult().isFailure()) {
            return new Pending(null, decodeFailure(msg.decoderResult().cause()), false, UNDECODED_METHOD, requestId,
                    receivedNanos);
        }
        boolean keepAlive = HttpUtil.isKeepAlive(msg);
        String method = msg.method().name();
        String uri = msg.uri();
        if (!uri.startsWith("/")) {
            return new Pending(null, ApiError.badRequest("bad_request", "request target must be a path"), false,
                    method, requestId, receivedNanos);
        }
        int question = uri.indexOf('?');
        String path = question < 0 ? uri : uri.substring(0, question);
        try {
            QueryParams query = QueryParams.parse(question < 0 ? "" : uri.substring(question + 1));
            byte[] body = ByteBufUtil.getBytes(msg.content());
            Caller caller = new Caller(remoteAddress, msg.headers().get(HttpHeaderNames.AUTHORIZATION),
                    null);
            return new Pending(new ApiRequest(msg.method(), path, "", query, body, caller), null, keepAlive, method,
                    requestId, receivedNanos);
        } catch (ApiException e) {
            return new Pending(null, e.error(), keepAlive, method, requestId, receivedNanos);
        }
    }

    private static ApiError decodeFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return ApiError.of(414, "uri_too_long", "request line is too long; keys are limited in size");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return ApiError.of(431, "headers_too_large", "request headers are too large");
        }
        return ApiError.badRequest("bad_request", "malformed HTTP request: " + cause.getMessage());
    }

    private void serveNext(ChannelHandlerContext ctx) {
        Pending next = pending.poll();
        serving = next != null;
        current = next;
        currentPattern = AccessLog.Entry.UNMATCHED;
        currentUser = null;
        if (next == null) {
            return;
        }
        if (next.errorOrNull() != null) {
            refuse(ctx, next.errorOrNull(), next.keepAlive());
            return;
        }
        ApiRequest request = next.requestOrNull();
        Route route;
        try {
            route = routes.resolveOrThrow(request.method(), request.path());
            request.query().requireOnly(route.queryParams());
        } catch (ApiException e) {
            refuse(ctx, e.error(), next.keepAlive());
            return;
        }
        currentPattern = route.pattern();
        onEventLoop(ctx, gate.admit(route, request), (admission, failure) -> {
            if (failure != null) {
                refuse(ctx, ErrorMapper.toError(failure), next.keepAlive());
            } else if (admission.refusalOrNull() != null) {
                refuse(ctx, admission.refusalOrNull(), next.keepAlive());
            } else {
                currentUser = admission.userOrNull();
                serveAdmitted(ctx, route, request, admission.userOrNull(), next.keepAlive());
            }
        });
    }

    private void serveAdmitted(ChannelHandlerContext ctx, Route route, ApiRequest request, String user,
                               boolean keepAlive) {
        if (route.kind() == Route.Kind.WRITE && !writesAdmitted.getAsBoolean()) {
            refuse(ctx, ApiError.of(503, "memory_limit", "the router is over memory_limit_mb; writes are refused "
                    + "until memory is freed, reads still work; retry later"), keepAlive);
            return;
        }
        boolean limited = route.kind() != Route.Kind.PROBE;
        if (limited && !concurrencyLimit.tryAcquire()) {
            refuse(ctx, tooManyRequests(), keepAlive);
            return;
        }
        String keyRaw = route.keyInPath() ? request.path().substring(route.path().length()) : "";
        ApiRequest routed = new ApiRequest(request.method(), request.path(), keyRaw, request.query(), request.body(),
                request.caller().admittedAs(user));
        long startedNanos = nanoClock.getAsLong();
        CompletableFuture<ApiResponse> answer = invoke(route.endpoint(), routed).copy();
        long deadlineMs = route.deadlineMs(maxQueryDurationMs);
        ScheduledFuture<?> deadline = ctx.executor().schedule(
                () -> answer.completeExceptionally(new RequestDeadlineException(deadlineMs)),
                deadlineMs, TimeUnit.MILLISECONDS);
        onEventLoop(ctx, answer, (response, failure) -> {
            deadline.cancel(false);
            if (limited) {
                concurrencyLimit.release();
            }
            ApiResponse out = response;
            if (failure != null) {
                ApiError error = ErrorMapper.toError(failure);
                metrics.recordRefusal(error.code());
                out = ErrorMapper.toResponse(error);
            }
            record(route.kind(), nanoClock.getAsLong() - startedNanos, failure == null ? 0 : out.status());
            write(ctx, out, keepAlive);
        });
    }

    /**
     * Runs {@code then} on the channel's event loop once {@code future} completes: at once when it already has (no
     * task queued behind other connections' work: authentication off, answers served without waiting), else as a
     * task of the loop.
     */
    private static <T> void onEventLoop(ChannelHandlerContext ctx, CompletableFuture<T> future,
                                        BiConsumer<? super T, ? super Throwable> then) {
        if (future.isDone() && ctx.executor().inEventLoop()) {
            future.whenComplete(then);
        } else {
            future.whenCompleteAsync(then, ctx.executor());
        }
    }

    private static CompletableFuture<ApiResponse> invoke(Endpoint endpoint, ApiRequest request) {
        try {
            return endpoint.handle(request);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Counts searches and inserts that passed validation; 5xx and 409 answers are failures. */
    private void record(Route.Kind kind, long durationNanos, int failureStatus) {
        boolean clientError = failureStatus >= 400 && failureStatus < 500 && failureStatus != 409;
        if (clientError) {
            return;
        }
        boolean failed = failureStatus != 0;
        if (kind == Route.Kind.READ) {
            metrics.recordSearch(durationNanos, failed);
        } else if (kind == Route.Kind.WRITE) {
            metrics.recordInsert(durationNanos, failed);
        }
    }

    private ApiError tooManyRequests() {
        return new ApiError(429, "too_many_requests", "more than max_concurrent_requests="
                + concurrencyLimit.maxConcurrentRequests() + " requests in flight; retry after the Retry-After delay",
                Map.of(), Map.of("Retry-After", "1"));
    }

    private void refuse(ChannelHandlerContext ctx, ApiError error, boolean keepAlive) {
        metrics.recordRefusal(error.code());
        write(ctx, ErrorMapper.toResponse(error), keepAlive);
    }

    private void write(ChannelHandlerContext ctx, ApiResponse response, boolean keepAlive) {
        FullHttpResponse out = NettyResponses.toNetty(response, keepAlive);
        out.headers().set(AccessLog.REQUEST_ID_HEADER, current.requestId());
        accessLog.record(new AccessLog.Entry(current.method(), currentPattern, response.status(),
                nanoClock.getAsLong() - current.receivedNanos(), currentUser, current.requestId()));
        ChannelFuture written = ctx.writeAndFlush(out);
        if (!keepAlive) {
            pending.clear(); // nothing after a closing answer is served
            written.addListener(LingeringClose.AFTER_WRITE);
            return;
        }
        written.addListener(done -> {
            if (done.isSuccess()) {
                serveNext(ctx);
            } else {
                ctx.close();
            }
        });
    }
}
