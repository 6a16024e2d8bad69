package io.omendb.router.http;

import io.netty.handler.codec.http.HttpMethod;
import io.omendb.router.backend.BackupCheckpointStore;
import io.omendb.router.backend.KvBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/** The HTTP API v1 route table: every endpoint, its method, path, accepted query parameters and kind. */
final class ApiRoutes {
    private ApiRoutes() {
    }

    static RouteTable create(KvBackend backend, BackupCheckpointStore backupsOrNull, HttpServerOptions options,
                             LongSupplier nanoClock, String version, List<Route> gateRoutes) {
        InputLimits limits = new InputLimits(options);
        KvEndpoints kv = new KvEndpoints(backend, limits);
        ScanEndpoint scan = new ScanEndpoint(backend, limits);
        BatchEndpoint batch = new BatchEndpoint(backend, limits);
        ProbeEndpoints probes = new ProbeEndpoints(backend, nanoClock, version);
        AdminEndpoints admin = new AdminEndpoints(backend);
        Set<String> none = Set.of();
        Set<String> encoding = Set.of(BodyEncoding.PARAM);
        Set<String> range = Set.of(AdminEndpoints.RANGE_PARAM);
        List<Route> routes = new ArrayList<>(gateRoutes);
        routes.addAll(List.of(
                key(HttpMethod.PUT, "/v1/kv/", none, Route.Kind.WRITE, kv::put),
                key(HttpMethod.GET, "/v1/kv/", Set.of(ReadParams.CONSISTENCY), Route.Kind.READ, kv::get),
                key(HttpMethod.DELETE, "/v1/kv/", none, Route.Kind.WRITE, kv::delete),
                key(HttpMethod.POST, "/v1/cas/", encoding, Route.Kind.WRITE, kv::compareAndSet),
                exact(HttpMethod.GET, "/v1/scan", Set.of("start", "end", "limit", "cursor", BodyEncoding.PARAM,
                        ReadParams.CONSISTENCY), Route.Kind.READ, scan::scan),
                exact(HttpMethod.POST, "/v1/batch", encoding, Route.Kind.WRITE, batch::batch),
                exact(HttpMethod.GET, "/health", none, Route.Kind.PROBE, probes::health),
                exact(HttpMethod.GET, "/ready", none, Route.Kind.PROBE, probes::ready),
                exact(HttpMethod.GET, "/admin/ranges", none, Route.Kind.ADMIN, admin::ranges),
                exact(HttpMethod.GET, "/admin/index-stats", none, Route.Kind.ADMIN, admin::indexStats),
                exact(HttpMethod.POST, "/admin/retrain-index", range, Route.Kind.ADMIN, admin::retrainIndex),
                exact(HttpMethod.POST, "/admin/rebuild-index", range, Route.Kind.ADMIN, admin::rebuildIndex),
                exact(HttpMethod.POST, "/admin/transfer-leader", Set.of(AdminEndpoints.RANGE_PARAM,
                        AdminEndpoints.TO_PARAM), Route.Kind.ADMIN, admin::transferLeader),
                exact(HttpMethod.GET, "/admin/nodes", none, Route.Kind.ADMIN, admin::nodes),
                exact(HttpMethod.POST, "/admin/decommission", Set.of(AdminEndpoints.NODE_PARAM), Route.Kind.ADMIN,
                        admin::decommission),
                exact(HttpMethod.POST, "/admin/split", Set.of(AdminEndpoints.RANGE_PARAM, AdminEndpoints.KEY_PARAM),
                        Route.Kind.RESHAPE, admin::split),
                exact(HttpMethod.POST, "/admin/merge", range, Route.Kind.RESHAPE, admin::merge)));
        if (backupsOrNull != null) {
            routes.addAll(new BackupEndpoints(backupsOrNull).routes());
        }
        return new RouteTable(routes);
    }

    private static Route key(HttpMethod method, String prefix, Set<String> params, Route.Kind kind, Endpoint e) {
        return new Route(method, prefix, true, params, kind, e);
    }

    private static Route exact(HttpMethod method, String path, Set<String> params, Route.Kind kind, Endpoint e) {
        return new Route(method, path, false, params, kind, e);
    }
}
