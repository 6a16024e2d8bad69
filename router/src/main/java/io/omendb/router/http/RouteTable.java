package io.omendb.router.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Resolves a method and raw path to a route: 404 unknown_route when no route has that path, 405
 * method_not_allowed (with an Allow header) when the path exists under other methods. Immutable, thread-safe.
 */
public final class RouteTable {
    private final List<Route> routes;

    public RouteTable(List<Route> routes) {
        this.routes = List.copyOf(routes);
    }

    public Route resolveOrThrow(HttpMethod method, String path) {
        TreeSet<String> allowed = new TreeSet<>();
        for (Route route : routes) {
            if (route.matchesPath(path)) {
                if (route.method().equals(method)) {
                    return route;
                }
                allowed.add(route.method().name());
            }
        }
        if (allowed.isEmpty()) {
            throw ApiError.of(404, "unknown_route", "no endpoint at " + path + "; see docs/API.md").asException();
        }
        String allow = String.join(", ", allowed);
        throw new ApiError(405, "method_not_allowed", method + " is not allowed on " + path + "; use " + allow,
                Map.of(), Map.of("Allow", allow)).asException();
    }
}
