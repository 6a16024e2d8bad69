package io.omendb.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * docker/grafana/dashboards/omendb.json as the tests need it: every panel that shows data (rows only group them),
 * with its datasource uid and the PromQL of each of its queries.
 */
record GrafanaDashboard(String title, List<Panel> panels) {
    static final String ROW = "row";

    record Panel(String title, String datasourceUid, List<Query> queries) {
    }

    record Query(String refId, String datasourceUid, String expr) {
    }

    static Path file() {
        return DistPaths.docker().resolve("grafana/dashboards/omendb.json");
    }

    static GrafanaDashboard read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<Panel> panels = new ArrayList<>();
        collect(root.path("panels"), panels);
        return new GrafanaDashboard(root.path("title").asText(), List.copyOf(panels));
    }

    /** Top-level panels and those nested in (collapsed) rows. */
    private static void collect(JsonNode array, List<Panel> into) {
        for (JsonNode p : array) {
            if (ROW.equals(p.path("type").asText())) {
                collect(p.path("panels"), into);
                continue;
            }
            List<Query> queries = new ArrayList<>();
            for (JsonNode t : p.path("targets")) {
                queries.add(new Query(t.path("refId").asText(), t.path("datasource").path("uid").asText(null),
                        t.path("expr").asText(null)));
            }
            into.add(new Panel(p.path("title").asText(), p.path("datasource").path("uid").asText(null),
                    List.copyOf(queries)));
        }
    }
}
